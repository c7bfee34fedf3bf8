// Package script reads Kamailio routing scripts (kamailio.cfg) into a typed
// syntax tree, and compiles the tree into the engine that routes messages:
//
//	text ──▶ lexer ──▶ preprocessor ──▶ parser ──▶ *Config (syntax tree)
//	*Config ──▶ Compile (modules, globals, checks) ──▶ *Engine (Go closures)
//
// The language is Kamailio 5.6's, as its own lexer and grammar read it
// (shared/spec/kamailio-cfg-spec.md §1–§4), checked against the Debian
// kamailio 5.6 binary with "kamailio -c" (see kamailio_test.go).
//
// # Lexer (lex.go, directive.go)
//
// The lexer cuts one file, or one define value, into tokens: comments (#,
// // and nesting /* */), numbers (decimal, 0x hex, 0 octal, 101b binary;
// yes/no/on/off/... and inet/inet6 are numbers too), strings (escapes,
// "a" "b" joined across white space, raw 'single-quoted'), identifiers,
// IPv4 and IPv6 literals, pseudo-variables kept verbatim ($ru, $var(x),
// $(hdr(X)[0]{s.int}), $?), selects (@cfg_get.a.b), operators. It does not
// interpret directives: "#!define X 1" comes out as one directive token
// carrying the name and the raw value.
//
// # Preprocessor (preprocess.go, ppexpr.go)
//
// The preprocessor sits between lexer and parser, as Kamailio's lexer does
// the same work inline. It keeps a stack of sources (the main file,
// included files, and define values being expanded) and hands the parser
// one token at a time. It runs #!define and friends, skips false
// #!ifdef/#!ifndef/#!ifexp branches (includes in them are not followed),
// follows include_file/import_file, replaces identifiers that name a define
// by the define's tokens (never inside strings or pseudo-variables, never
// keywords), and applies #!subst rules to strings and pseudo-variable names.
//
// Because the parser pulls tokens lazily, what it learns is visible to the
// directives that follow: after loadmodule "tm.so" it defines MOD_tm, so a
// later "#!ifdef MOD_tm" sees it, in text order, as in Kamailio.
//
// # Parser (parse.go, ast.go)
//
// A recursive-descent parser builds the tree in ast.go: top-level items
// (global parameters, listen/alias socket lists, socket blocks, custom cfg
// variables, flags, loadmodule, modparam, route blocks) and, inside
// routes, statements and expressions with Kamailio's precedence, where the
// bit operators bind looser than comparisons ($a & 1 == 1 is $a & (1 == 1)).
// Calls keep their arguments as expressions in a Call node (Name, Args,
// Pos): the checker will resolve Name with the number of arguments against
// the module registry and type-check them. Core keywords (method, src_ip,
// myself, msg:len ...) are Keyword nodes; addresses and networks are IPLit.
//
// On a syntax error the parser records "file:line:col: unexpected X,
// expected Y" and unwinds to the enclosing statement or top-level item,
// skips to a point where it can go on (a ';', the end of the block, the
// next line that can start a top-level item) and continues, so that one run
// reports every independent error. The result is an ErrorList; Warnings in
// the Config hold what Kamailio accepts but reads surprisingly.
//
// # Positions
//
// Every token carries its true origin: file, line and column (1-based,
// bytes). A token from an included file carries that file's path. Tokens
// produced by expanding a define carry the position of the identifier that
// was expanded (the use site, which is what the user can fix), and the
// define's name, which error messages mention ("(from define X)"). Every
// node of the tree has the position of its first token (for a binary
// operation, of the operator), so later stages can report errors at the
// right place, including run-time errors of the compiled script.
//
// # Compiler (compile*.go, check.go)
//
// Compile turns a Config into an Engine. It instantiates every module with
// Core set and every module named by a loadmodule (path and ".so"
// stripped), in that order, and applies the modparams: the module name is
// matched as the anchored, case-insensitive pattern ^(name)$, as in
// Kamailio. It reads the global parameters into Settings (Kamailio's
// defaults otherwise), accepting the ones olelo ignores and refusing
// unknown names with a did-you-mean suggestion. It then compiles every
// route block:
//
//   - a call is resolved by name and number of arguments over the
//     functions of the loaded modules (module "core" provides the core
//     actions) and checked against the route type (a route[NAME] block is
//     checked against the blocks that call it, and only warned about, as
//     Kamailio does not check it); its arguments are prepared per
//     module.ArgKind: constants converted once, strings holding
//     pseudo-variables parsed as formats, regexes compiled, route names
//     checked; then Func.Check runs;
//   - route(NAME) is resolved at load time, route($pv) at run time;
//   - pseudo-variables are prepared with package pv; assigning to one that
//     is not settable is an error;
//   - expressions are type-checked where the types are known at load time
//     (1 + "x" and "a" < $x are errors, as in Kamailio), folded when
//     constant, and constant =~ patterns are compiled once (plain literal
//     alternatives such as "friendly-scanner|sipcli" skip the regexp
//     engine). The core keywords (method, uri, src_ip, myself ...) compile
//     to direct reads of the message.
//
// Compile reports every problem, as file:line:col messages saying what was
// found and what was expected, in one ErrorList. Check (olelo check) runs
// ParseFile and Compile and returns the errors of both.
//
// # Engine (engine.go, eval*.go)
//
// Statements are closures returning Kamailio's action value and how they
// ended (next, break, return, exit). The semantics follow Kamailio 5.6,
// checked against the kamailio binary:
//
//   - a route's value is that of its last action (1 for an assignment or
//     for an if whose branches did not run), or the value of return (1
//     without one); return 0 ends the whole script, as exit does;
//   - break leaves the innermost switch or while and is worth 0; at a
//     route's top level it ends the route with 0;
//   - a module function returning 0 ends the script; its code goes to $rc,
//     as does a route's value (core actions do not change $rc); $rc starts
//     at 0 in each top-level route;
//   - a call used as a value is 1 when it returned > 0, else 0; assigned
//     directly ($x = f()) it gives the code itself; if and while are true
//     for values > 0 (any non-zero value with return_mode set);
//   - while stops after max_while_loops iterations with an error in the
//     log and the value -1; route calls nest up to max_recursive_level;
//   - exit and drop (which also sets Ctx.Dropped) stop the script from any
//     depth, including from inside an expression;
//   - run-time errors (division by zero, a string that is not a number
//     where one is needed) are logged with the script position; such a
//     string counts as 0, and a failed assignment leaves the variable as
//     it was.
//
// HandleRequest runs request_route. HandleResponse runs the core reply
// route and forwards the reply (CompileOptions.ForwardReply) unless the
// route's value is 0 or less or it dropped the reply. RunEvent runs an
// event_route, RunRoute any block for a module (tm's failure_route and
// friends). Each message gets a module.Ctx from a pool.
//
// An Engine is immutable once compiled: a reload compiles a new one and
// swaps a pointer, leaving messages in flight on the old one.
//
// # Where olelo differs from Kamailio 5.6
//
// The parser accepts some newer syntax (socket = {...}, coreparam[x],
// loadmodule("x"), #!ifexp, #!defexp, KAMAILIO_VERSION), and a few
// things Kamailio 5.6 rejects only by accident of its grammar: an empty
// { } block (with a warning), #!endif at the very end of a file without a
// newline. It also refuses what olelo does not implement: SER compatibility
// mode (#!SER, %avp), a { actions } block used as a value, and the
// evaluation of pseudo-variables in #!substdef values and #!subst
// replacements (the text is used as written, with a warning). Comparisons
// with $null are kept as written; the compiler turns them into defined
// tests, as Kamailio's parser does.
//
// Includes are looked up as Kamailio does: relative to the working
// directory first, then to the directory of the including file, then in
// Options.IncludeDirs.
//
// Dump prints a Config in a canonical form (defines expanded, includes
// inlined, blocks braced, nested operations parenthesised). The dump parses
// back to the same dump; the golden tests and the fuzz test rely on it.
package script
