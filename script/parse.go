package script

import (
	"os"
	"path"
	"sort"
	"strings"
)

// Options control how a configuration is read.
type Options struct {
	// Defines are extra names, as given with Kamailio's -A NAME[=VALUE].
	// An empty value defines the name without a value.
	Defines map[string]string
	// IncludeDirs are searched for include_file/import_file after the
	// working directory and the directory of the including file.
	IncludeDirs []string
	// ReadFile reads the main file and included files; nil means
	// os.ReadFile. Tests and "olelo check" of in-memory text use it.
	ReadFile func(name string) ([]byte, error)
	// LookupEnv reads environment variables for #!defenv; nil means
	// os.LookupEnv.
	LookupEnv func(name string) (string, bool)
}

// ParseFile reads and parses the configuration in path and the files it
// includes. On failure the error is an ErrorList holding every problem
// found; the Config returned alongside holds what could be parsed (it is
// nil only when path itself cannot be read).
func ParseFile(path string, opt Options) (*Config, error) {
	readFile := opt.ReadFile
	if readFile == nil {
		readFile = os.ReadFile
	}
	data, err := readFile(path)
	if err != nil {
		return nil, ErrorList{{Pos: Pos{File: path}, Msg: "cannot read configuration: " + err.Error()}}
	}
	return ParseBytes(path, data, opt)
}

// ParseBytes parses configuration text; name is used in positions and to
// find included files relative to it.
func ParseBytes(name string, src []byte, opt Options) (*Config, error) {
	diag := &diagnostics{}
	pp := newPreprocessor(diag, opt)
	pp.pushFile(name, src)
	p := &parser{pp: pp, diag: diag, cfg: &Config{File: name, routeIndex: make(map[RouteKind]map[string]*Route)}}
	p.next()
	p.parseConfig()
	for _, r := range p.cfg.Routes {
		p.checkBareNames(r.Body)
	}
	cfg := p.cfg
	cfg.Defines = pp.finalDefines()
	cfg.Files = pp.files
	cfg.Compat = pp.compat
	cfg.Warnings = diag.warns
	sortByPosition(diag.errs, pp.files)
	sortByPosition(cfg.Warnings, pp.files)
	return cfg, diag.errs.Err()
}

// sortByPosition puts messages in file order: files in the order they were
// read, then line and column. A few checks report when a construct ends
// (a switch mixing case types), which is after its inner errors.
func sortByPosition(list ErrorList, files []string) {
	rank := make(map[string]int, len(files))
	for i, f := range files {
		if _, ok := rank[f]; !ok {
			rank[f] = i
		}
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i].Pos, list[j].Pos
		if a.File != b.File {
			return rank[a.File] < rank[b.File]
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// parser is a recursive-descent parser over the preprocessor's tokens.
// A syntax error is recorded and unwinds (panic with bailout) to the
// enclosing statement or top-level item, which skips to a point where
// parsing can resume; so one run reports every independent error.
type parser struct {
	pp    *preprocessor
	diag  *diagnostics
	cfg   *Config
	tok   token
	ahead []token

	// caseDepth is above zero while parsing the body of a switch case, so
	// that error recovery stops at the next "case" or "default".
	caseDepth int
	// nesting counts open blocks and parentheses, to refuse input nested
	// deeper than any real configuration instead of exhausting the stack.
	nesting int
}

// maxNesting bounds block and expression nesting.
const maxNesting = 200

func (p *parser) enter() {
	p.nesting++
	if p.nesting > maxNesting {
		p.nesting = 0 // let recovery parse on; the error is reported once
		p.fail(p.tok.pos, "nesting deeper than %d levels", maxNesting)
	}
}

func (p *parser) leave() {
	if p.nesting > 0 {
		p.nesting--
	}
}

type bailout struct{}

func (p *parser) next() {
	if len(p.ahead) > 0 {
		p.tok = p.ahead[0]
		p.ahead = p.ahead[1:]
		return
	}
	p.tok = p.pp.next()
}

// peek returns the n-th token after the current one (n >= 1).
func (p *parser) peek(n int) token {
	for len(p.ahead) < n {
		p.ahead = append(p.ahead, p.pp.next())
	}
	return p.ahead[n-1]
}

func (p *parser) isIdent(words ...string) bool {
	if p.tok.kind != tIdent {
		return false
	}
	for _, w := range words {
		if p.tok.text == w {
			return true
		}
	}
	return false
}

// fail records an error and abandons the current statement.
func (p *parser) fail(pos Pos, format string, args ...any) {
	p.diag.errorf(pos, format, args...)
	panic(bailout{})
}

// unexpected fails at the current token: "unexpected X, expected Y".
func (p *parser) unexpected(expected string) {
	p.failAt(p.tok, "unexpected %s, expected %s", p.tok.describe(), expected)
}

// failAt fails at token t, unless t is the consequence of a problem the
// lexer already reported (an illegal character, or the end of a file eaten
// by an unterminated string).
func (p *parser) failAt(t token, format string, args ...any) {
	if t.kind == tIllegal || t.kind == tEOF && p.diag.eofSwallowed {
		panic(bailout{})
	}
	p.fail(t.pos, format, args...)
}

// expect consumes a token of kind k or fails; context completes the
// message ("after if", "to close the condition").
func (p *parser) expect(k tokKind, context string) token {
	if p.tok.kind != k {
		p.unexpected(kindPhrase(k) + " " + context)
	}
	t := p.tok
	p.next()
	return t
}

func (p *parser) optionalSemi() {
	if p.tok.kind == tSemi {
		p.next()
	}
}

func recoverBailout(onBail func()) {
	if r := recover(); r != nil {
		if _, ok := r.(bailout); !ok {
			panic(r)
		}
		onBail()
	}
}

// ---- top level ----

func (p *parser) parseConfig() {
	for p.tok.kind != tEOF && !p.diag.tooMany() {
		p.topLevelItem()
	}
}

func (p *parser) addDecl(d Decl) { p.cfg.Decls = append(p.cfg.Decls, d) }

func (p *parser) topLevelItem() {
	t := p.tok
	defer recoverBailout(func() { p.syncTop(t.pos) })
	switch t.kind {
	case tSemi:
		p.next()
		return
	case tIdent:
	default:
		p.unexpected("a global parameter (name = value), loadmodule, modparam or a route block")
	}
	switch t.text {
	case "loadmodule", "loadmodulex":
		p.loadModule()
		return
	case "loadpath", "mpath":
		p.loadPath()
		return
	case "modparam", "modparamx":
		p.modParam()
		return
	case "cfgengine":
		p.next()
		s := p.expect(tString, "after cfgengine (\"native\", \"lua\", ...)")
		p.optionalSemi()
		ce := &CfgEngine{Pos: t.pos, Engine: s.text}
		p.cfg.CfgEngine = ce
		p.addDecl(ce)
		return
	case "flags", "bool", "avpflags":
		p.flagDecl()
		return
	case "coreparam":
		p.coreParam()
		return
	}
	if kind, ok := routeKeywords[t.text]; ok {
		p.routeBlock(kind)
		return
	}
	switch p.peek(1).kind {
	case tAssign:
		if t.text == "socket" && p.peek(2).kind == tLBrace {
			p.socketBlock()
			return
		}
		p.globalAssign()
		return
	case tDot:
		p.cfgVar()
		return
	}
	p.next()
	p.unexpected("'=' after " + t.text + " (a global parameter is written name = value)")
}

// syncTop skips tokens after an error outside route bodies: to the end of
// a block opened meanwhile, to a ';', or to a word at the start of a later
// line, which can begin a new top-level item.
func (p *parser) syncTop(start Pos) {
	depth := 0
	first := true
	for p.tok.kind != tEOF {
		if depth == 0 && p.tok.kind == tIdent && p.tok.pos.Col == 1 && p.tok.macro == "" &&
			(p.tok.pos.Line != start.Line || p.tok.pos.File != start.File) {
			return
		}
		switch p.tok.kind {
		case tLBrace:
			depth++
		case tRBrace:
			depth--
			if depth <= 0 {
				p.next()
				return
			}
		case tSemi:
			if depth == 0 {
				p.next()
				return
			}
		case tIdent:
			if !first && depth == 0 && p.tok.pos.Col == 1 && p.tok.macro == "" {
				return
			}
		}
		first = false
		p.next()
	}
}

func (p *parser) globalAssign() {
	name := p.tok
	p.next() // name
	p.next() // =
	g := &GlobalAssign{Pos: name.pos, Name: name.text}
	if name.text == "listen" || name.text == "alias" {
		g.Value = p.socketList(name.text)
	} else {
		g.Value = p.scalarValue("for " + name.text)
	}
	p.optionalSemi()
	p.cfg.Globals = append(p.cfg.Globals, g)
	p.addDecl(g)
}

// cfgVar parses "group.name = value [desc "text"]"; kemi.* names are core
// parameters written the same way.
func (p *parser) cfgVar() {
	group := p.tok
	p.next()
	p.next() // .
	name := p.expect(tIdent, "after '"+group.text+".' (a custom variable is written group.name = value)")
	p.expect(tAssign, "after "+group.text+"."+name.text)
	value := p.scalarValue("for " + group.text + "." + name.text)
	if group.text == "kemi" {
		g := &GlobalAssign{Pos: group.pos, Name: "kemi." + name.text, Value: value}
		p.optionalSemi()
		p.cfg.Globals = append(p.cfg.Globals, g)
		p.addDecl(g)
		return
	}
	switch value.(type) {
	case *IntLit, *StrLit:
	default:
		p.fail(value.Position(), "the value of %s.%s must be a number or a string", group.text, name.text)
	}
	cv := &CfgVar{Pos: group.pos, Group: group.text, Name: name.text, Value: value}
	if p.isIdent("desc", "descr", "description") {
		p.next()
		cv.Desc = p.expect(tString, "after desc").text
	}
	p.optionalSemi()
	p.cfg.CfgVars = append(p.cfg.CfgVars, cv)
	p.addDecl(cv)
}

func (p *parser) coreParam() {
	kw := p.tok
	p.next()
	p.expect(tLBrack, "after coreparam")
	name := p.expect(tIdent, "(the parameter name) in coreparam[...]")
	p.expect(tRBrack, "after the coreparam name")
	p.expect(tAssign, "after coreparam["+name.text+"]")
	cp := &CoreParam{Pos: kw.pos, Name: name.text, Value: p.scalarValue("for coreparam[" + name.text + "]")}
	p.optionalSemi()
	p.cfg.CoreParams = append(p.cfg.CoreParams, cp)
	p.addDecl(cp)
}

func (p *parser) socketBlock() {
	kw := p.tok
	p.next() // socket
	p.next() // =
	p.next() // {
	sb := &SocketBlock{Pos: kw.pos}
	for p.tok.kind != tRBrace {
		if p.tok.kind == tSemi {
			p.next()
			continue
		}
		name := p.expect(tIdent, "(an attribute such as bind, name, advertise) in the socket block")
		p.expect(tAssign, "after "+name.text+" in the socket block")
		a := &SocketAttr{Pos: name.pos, Name: name.text}
		if name.text == "bind" || name.text == "advertise" {
			a.Value = p.socketAddr(true)
		} else {
			a.Value = p.scalarValue("for " + name.text)
		}
		sb.Attrs = append(sb.Attrs, a)
	}
	p.next()
	p.optionalSemi()
	p.cfg.Sockets = append(p.cfg.Sockets, sb)
	p.addDecl(sb)
}

func (p *parser) flagDecl() {
	kw := p.tok
	p.next()
	fd := &FlagDecl{Pos: kw.pos, Keyword: kw.text}
	for {
		name := p.expect(tIdent, "(a flag name) after "+kw.text)
		f := FlagDef{Pos: name.pos, Name: name.text, Bit: -1}
		if p.tok.kind == tColon {
			p.next()
			f.Bit = p.expect(tNumber, "(the flag number) after "+name.text+":").num
		}
		fd.Flags = append(fd.Flags, f)
		if p.tok.kind != tComma {
			break
		}
		p.next()
	}
	p.optionalSemi()
	p.cfg.Flags = append(p.cfg.Flags, fd)
	p.addDecl(fd)
}

func (p *parser) loadModule() {
	kw := p.tok
	p.next()
	paren := p.tok.kind == tLParen
	if paren {
		p.next()
	}
	if p.tok.kind != tString {
		p.unexpected("the module path as a string after " + kw.text + ", as in " + kw.text + " \"tm.so\"")
	}
	lm := &LoadModule{Pos: kw.pos, Path: p.tok.text, Dynamic: kw.text == "loadmodulex"}
	lm.Name = strings.TrimSuffix(path.Base(lm.Path), ".so")
	if !lm.Dynamic || !strings.Contains(lm.Path, "$") {
		// Define MOD_name now, before reading on: a "#!ifdef MOD_name"
		// on the next line must see it.
		p.pp.defineModule(lm.Name)
	}
	p.next()
	if paren {
		if p.tok.kind == tComma {
			p.next()
			lm.Opts = p.expect(tString, "(module options) after ','").text
		}
		p.expect(tRParen, "to close "+kw.text+"(...)")
	}
	p.optionalSemi()
	p.cfg.Modules = append(p.cfg.Modules, lm)
	p.addDecl(lm)
}

func (p *parser) loadPath() {
	kw := p.tok
	p.next()
	if p.tok.kind == tAssign {
		p.next()
	}
	s := p.expect(tString, "(the module directory) after "+kw.text)
	p.optionalSemi()
	lp := &LoadPath{Pos: kw.pos, Path: s.text}
	p.cfg.LoadPaths = append(p.cfg.LoadPaths, lp)
	p.addDecl(lp)
}

func (p *parser) modParam() {
	kw := p.tok
	p.next()
	p.expect(tLParen, "after "+kw.text)
	mod := p.expect(tString, "(the module name) in "+kw.text+"(\"module\", \"param\", value)")
	p.expect(tComma, "after the module name in "+kw.text)
	param := p.expect(tString, "(the parameter name) in "+kw.text+"(\"module\", \"param\", value)")
	p.expect(tComma, "after the parameter name in "+kw.text)
	mp := &ModParam{Pos: kw.pos, Module: mod.text, Param: param.text, Extended: kw.text == "modparamx"}
	switch {
	case p.tok.kind == tString:
		mp.Value = &StrLit{Pos: p.tok.pos, Value: p.tok.text, Raw: p.tok.raw}
		p.next()
	case p.tok.kind == tNumber:
		mp.Value = &IntLit{Pos: p.tok.pos, Value: p.tok.num, Text: p.tok.text}
		p.next()
	case p.tok.kind == tMinus && p.peek(1).kind == tNumber:
		pos := p.tok.pos
		p.next()
		mp.Value = &IntLit{Pos: pos, Value: -p.tok.num, Text: "-" + p.tok.text}
		p.next()
	default:
		p.unexpected("a string or a number as the value of " + kw.text + "(\"" + mod.text + "\", \"" + param.text + "\", ...)")
	}
	p.expect(tRParen, "to close "+kw.text+"(...)")
	p.optionalSemi()
	p.cfg.ModParams = append(p.cfg.ModParams, mp)
	p.addDecl(mp)
}

// scalarValue parses the value of a global: a number, a string, a name,
// an address.
func (p *parser) scalarValue(context string) Expr {
	t := p.tok
	switch t.kind {
	case tMinus:
		if p.peek(1).kind == tNumber {
			p.next()
			n := p.tok
			p.next()
			return &IntLit{Pos: t.pos, Value: -n.num, Text: "-" + n.text}
		}
	case tNumber:
		p.next()
		return &IntLit{Pos: t.pos, Value: t.num, Text: t.text}
	case tString:
		p.next()
		return &StrLit{Pos: t.pos, Value: t.text, Raw: t.raw}
	case tIPv4, tIPv6, tLBrack, tIdent:
		if t.kind == tIdent && p.peek(1).kind == tAssign {
			break // "debug=" followed by "children=4": the value is missing
		}
		sa := p.socketAddr(false)
		// A bare name or address stays a scalar; with a protocol or a
		// port it is a socket address ("udp:000" is not the name "000").
		if sa.Port == 0 && sa.Proto == "" && len(sa.Hosts) == 1 {
			if t.kind == tIdent {
				return &Ident{Pos: t.pos, Name: sa.Hosts[0]}
			}
			return &IPLit{Pos: t.pos, Addr: sa.Hosts[0]}
		}
		return sa
	}
	p.unexpected("a value (number, string or name) " + context)
	return nil
}

// socketList parses the value of listen or alias.
func (p *parser) socketList(name string) *SocketList {
	sl := &SocketList{Pos: p.tok.pos}
	sl.Addrs = append(sl.Addrs, p.socketAddr(false))
	for p.moreSockets() {
		sl.Addrs = append(sl.Addrs, p.socketAddr(false))
	}
	if name != "listen" {
		return sl
	}
	for {
		switch {
		case p.isIdent("advertise", "ADVERTISE"):
			p.next()
			sl.Advertise = p.socketAddr(false)
		case p.isIdent("name"):
			p.next()
			sl.Name = p.expect(tString, "(the socket name) after name").text
		case p.isIdent("agname"):
			p.next()
			sl.AgName = p.expect(tString, "(the group name) after agname").text
		case p.isIdent("virtual"):
			p.next()
			sl.Virtual = true
		default:
			return sl
		}
	}
}

// moreSockets reports whether another address follows in a listen/alias
// list (alias=a.example.com b.example.com), as opposed to the next
// top-level item.
func (p *parser) moreSockets() bool {
	t := p.tok
	switch t.kind {
	case tIPv4, tIPv6, tLBrack:
		return true
	case tIdent:
	default:
		return false
	}
	if transportProtos[t.text] && p.peek(1).kind == tColon {
		return true
	}
	if topLevelKeywords[t.text] || reservedWords[t.text] {
		return false
	}
	if _, isRoute := routeKeywords[t.text]; isRoute {
		return false
	}
	// Look past a dotted host name: "x.y = 1" is a custom variable and
	// "x = 1" a global, not more hosts.
	i := 1
	for {
		n := p.peek(i)
		if (n.kind == tDot || n.kind == tMinus) && !n.space {
			i += 2
			continue
		}
		return n.kind != tAssign
	}
}

// socketAddr parses [proto:]host[:port[-end]]; host may be an IPv4 or
// IPv6 address, [IPv6], a host or interface name, a string, or (a,b) for
// multihomed SCTP.
func (p *parser) socketAddr(allowRange bool) *SocketAddr {
	sa := &SocketAddr{Pos: p.tok.pos}
	if p.tok.kind == tIdent && transportProtos[p.tok.text] && p.peek(1).kind == tColon {
		sa.Proto = strings.ToLower(p.tok.text)
		p.next()
		p.next()
	}
	if p.tok.kind == tLParen {
		p.next()
		for {
			sa.Hosts = append(sa.Hosts, p.socketHost())
			if p.tok.kind != tComma {
				break
			}
			p.next()
		}
		p.expect(tRParen, "to close the address list")
	} else {
		sa.Hosts = []string{p.socketHost()}
	}
	if p.tok.kind == tColon {
		p.next()
		sa.Port = p.expect(tNumber, "(a port number) after ':'").num
		if allowRange && p.tok.kind == tMinus && p.peek(1).kind == tNumber {
			p.next()
			sa.PortEnd = p.tok.num
			p.next()
		}
	}
	return sa
}

func (p *parser) socketHost() string {
	t := p.tok
	switch t.kind {
	case tIPv4, tIPv6, tString:
		p.next()
		return t.text
	case tLBrack:
		p.next()
		a := p.tok
		if a.kind != tIPv6 && a.kind != tIPv4 {
			p.unexpected("an IPv6 address after '['")
		}
		p.next()
		p.expect(tRBrack, "after the IPv6 address")
		return a.text
	case tIdent, tNumber:
		return p.hostName()
	}
	p.unexpected("an address or a host name")
	return ""
}

// hostName reads a host or interface name made of adjacent words, dots
// and dashes: sip.example.com, my-host, 1and1.com.
func (p *parser) hostName() string {
	var b strings.Builder
	b.WriteString(p.tok.text)
	p.next()
	for (p.tok.kind == tDot || p.tok.kind == tMinus) && !p.tok.space {
		n := p.peek(1)
		if n.space || n.kind != tIdent && n.kind != tNumber {
			break
		}
		b.WriteString(p.tok.text)
		b.WriteString(n.text)
		p.next()
		p.next()
	}
	return b.String()
}

// ---- route blocks ----

func (p *parser) routeBlock(kind RouteKind) {
	kw := p.tok
	p.next()
	r := &Route{Pos: kw.pos, Kind: kind, Keyword: kw.text}
	named := false
	if p.tok.kind == tLBrack {
		named = true
		p.next()
		t := p.tok
		switch {
		case kind == EventRoute && t.kind != tEventName:
			p.unexpected("an event route name such as xhttp:request or dispatcher:dst-down (module:event)")
		case t.kind == tIdent || t.kind == tNumber || t.kind == tString || t.kind == tEventName:
		default:
			p.unexpected("a route name (a word, a number or a string)")
		}
		r.Name, r.NamePos = t.text, t.pos
		p.next()
		p.expect(tRBrack, "after the route name")
	} else if kind == EventRoute {
		p.unexpected("'[' after event_route: event_route[module:event]")
	}
	p.expect(tLBrace, "to open the "+kw.text+" block")
	errsBefore := len(p.diag.errs)
	r.Body = p.stmtList()
	r.End = p.tok.pos
	if p.tok.kind != tRBrace {
		p.unexpected("'}' to close the " + kw.text + " block")
	}
	if len(r.Body) == 0 && len(p.diag.errs) == errsBefore {
		p.diag.warnf(r.Pos, "empty %s block: Kamailio 5.6 rejects an empty block", kw.text)
	}
	if r.Name == "0" && kind != EventRoute {
		r.Name = ""
	}
	// Register before reading past the '}', so that messages stay in
	// source order.
	p.addRoute(r, named)
	p.next()
}

// addRoute registers a block. A second named block with the same name is
// an error, as in Kamailio. A second unnamed block of a kind is added to
// the first, which is what Kamailio does with it.
func (p *parser) addRoute(r *Route, named bool) {
	idx := p.cfg.routeIndex[r.Kind]
	if idx == nil {
		idx = make(map[string]*Route)
		p.cfg.routeIndex[r.Kind] = idx
	}
	if old, ok := idx[r.Name]; ok {
		what := r.Keyword
		if r.Name != "" {
			what += "[" + r.Name + "]"
		}
		if named {
			p.diag.errorf(r.Pos, "duplicate route block %s: already defined at %s", what, old.Pos)
			return
		}
		p.diag.warnf(r.Pos, "second %s block: Kamailio appends it to the one at %s", what, old.Pos)
		old.Body = append(old.Body, r.Body...)
		return
	}
	idx[r.Name] = r
	p.cfg.Routes = append(p.cfg.Routes, r)
	p.addDecl(r)
}

// ---- statements ----

// stmtList parses statements up to '}' (or, in a switch case, up to the
// next case or default).
func (p *parser) stmtList() []Stmt {
	list := []Stmt{}
	for p.tok.kind != tRBrace && p.tok.kind != tEOF && !p.diag.tooMany() {
		if p.caseDepth > 0 && p.isIdent("case", "default") {
			break
		}
		if s := p.stmtRecover(); s != nil {
			list = append(list, s)
		}
	}
	return list
}

func (p *parser) stmtRecover() (s Stmt) {
	defer recoverBailout(func() {
		s = nil
		p.syncStmt()
	})
	return p.stmt()
}

// syncStmt skips the rest of a broken statement: up to and including a
// ';', or up to the '}' that ends the enclosing block, or past a block
// that the broken statement opened (and an else that follows it).
func (p *parser) syncStmt() {
	depth := 0
	for p.tok.kind != tEOF {
		switch p.tok.kind {
		case tLParen, tLBrack, tLBrace:
			depth++
		case tRParen, tRBrack:
			if depth > 0 {
				depth--
			}
		case tRBrace:
			if depth == 0 {
				return
			}
			depth--
			if depth == 0 {
				p.next()
				if p.isIdent("else") {
					continue
				}
				return
			}
		case tSemi:
			if depth == 0 {
				p.next()
				return
			}
		case tIdent:
			if depth == 0 && p.caseDepth > 0 && p.isIdent("case", "default") {
				return
			}
		}
		p.next()
	}
}

func (p *parser) stmt() Stmt {
	p.enter()
	defer p.leave()
	t := p.tok
	switch t.kind {
	case tSemi:
		p.next()
		return nil
	case tPV:
		return p.assignStmt()
	case tLBrace:
		p.fail(t.pos, "unexpected '{': Kamailio allows a { } block only after if, else, while and switch")
	case tIdent:
		switch t.text {
		case "if":
			return p.ifStmt()
		case "while":
			return p.whileStmt()
		case "switch":
			return p.switchStmt()
		case "return", "exit", "drop":
			return p.exitStmt()
		case "break":
			p.next()
			p.expect(tSemi, "after break")
			return &BreakStmt{Pos: t.pos}
		case "else":
			p.fail(t.pos, "'else' without a matching 'if'")
		case "case", "default":
			p.fail(t.pos, "'%s' outside a switch", t.text)
		case "route":
			rc := p.routeCall()
			p.semiAfter(rc, "route call")
			return rc
		}
		if coreExprKeywords[t.text] {
			p.fail(t.pos, "unexpected '%s': it is a value, not an action; use it in a condition such as if (%s == ...)", t.text, t.text)
		}
		return p.callStmt()
	}
	p.unexpected("a statement (a function call, $var = value, if, switch, while, return, exit or drop)")
	return nil
}

// semiAfter requires the ';' that ends a call statement.
func (p *parser) semiAfter(n Expr, what string) {
	if p.tok.kind != tSemi {
		p.failAt(p.tok, "unexpected %s, expected ';' after %s %s", p.tok.describe(), what, exprString(n))
	}
	p.next()
}

func (p *parser) callStmt() Stmt {
	name := p.tok
	if p.peek(1).kind == tLParen {
		c := p.call()
		p.semiAfter(c, "function call")
		return c
	}
	p.next()
	if bareActions[name.text] {
		c := &Call{Pos: name.pos, Name: name.text, NoParens: true}
		p.semiAfter(c, "function call")
		return c
	}
	p.failAt(p.tok, "unexpected %s, expected '(' after %s: a function call needs parentheses, as in %s()", p.tok.describe(), name.text, name.text)
	return nil
}

func (p *parser) assignStmt() Stmt {
	lhs := &PVar{Pos: p.tok.pos, Text: p.tok.text}
	p.next()
	switch p.tok.kind {
	case tAssign:
		p.next()
	case tPlusAssign:
		p.fail(p.tok.pos, "'+=' is not an assignment operator in Kamailio; write %s = %s + value", lhs.Text, lhs.Text)
	case tLBrack:
		p.fail(p.tok.pos, "an index goes inside the pseudo-variable: write $(%s[...]) rather than %s[...]", strings.TrimPrefix(lhs.Text, "$"), lhs.Text)
	case tColon:
		if p.peek(1).kind == tAssign {
			p.fail(p.tok.pos, "':=' is not an assignment operator in Kamailio; use '='")
		}
		p.unexpected("'=' after " + lhs.Text)
	default:
		p.unexpected("'=' after " + lhs.Text + " (a statement that starts with a pseudo-variable is an assignment)")
	}
	a := &AssignStmt{Pos: lhs.Pos, LHS: lhs, Value: p.expr()}
	if p.tok.kind != tSemi {
		p.failAt(p.tok, "unexpected %s, expected ';' after the assignment to %s", p.tok.describe(), lhs.Text)
	}
	p.next()
	return a
}

// body parses the statement or { block } after if, else and while.
func (p *parser) body(what string) []Stmt {
	if p.tok.kind == tLBrace {
		open := p.tok
		p.next()
		errsBefore := len(p.diag.errs)
		list := p.stmtList()
		p.expect(tRBrace, "to close the block opened at "+open.pos.String())
		if len(list) == 0 && len(p.diag.errs) == errsBefore {
			p.diag.warnf(open.pos, "empty { } after %s: Kamailio 5.6 rejects an empty block (write ; instead)", what)
		}
		return list
	}
	if s := p.stmt(); s != nil {
		return []Stmt{s}
	}
	return []Stmt{}
}

func (p *parser) ifStmt() Stmt {
	s := &IfStmt{Pos: p.tok.pos}
	p.next()
	p.expect(tLParen, "after if")
	s.Cond = p.expr()
	p.expect(tRParen, "to close the if condition")
	s.Then = p.body("if")
	if p.isIdent("else") {
		p.next()
		s.Else = p.body("else")
	}
	return s
}

func (p *parser) whileStmt() Stmt {
	s := &WhileStmt{Pos: p.tok.pos}
	p.next()
	p.expect(tLParen, "after while")
	s.Cond = p.expr()
	p.expect(tRParen, "to close the while condition")
	s.Body = p.body("while")
	return s
}

func (p *parser) switchStmt() Stmt {
	s := &SwitchStmt{Pos: p.tok.pos}
	p.next()
	p.expect(tLParen, "after switch")
	s.Value = p.expr()
	p.expect(tRParen, "to close the switch value")
	p.expect(tLBrace, "to open the switch body")
	var hasInt, hasStr bool
	var defaultAt Pos
	for p.tok.kind != tRBrace {
		c := &Case{Pos: p.tok.pos}
		switch {
		case p.isIdent("case"):
			if !p.caseHead(c) {
				c = nil // bad label: read its body, then drop it
				break
			}
			if _, ok := c.Value.(*IntLit); ok {
				hasInt = true
			} else {
				hasStr = true
			}
		case p.isIdent("default"):
			p.next()
			c.Default = true
			if defaultAt.IsValid() {
				p.diag.errorf(c.Pos, "second default in switch (the first is at %s)", defaultAt)
			}
			defaultAt = c.Pos
			p.expect(tColon, "after default")
		default:
			p.unexpected("'case', 'default' or '}' in the switch body")
		}
		p.caseDepth++
		body := p.stmtList()
		p.caseDepth--
		if c != nil {
			c.Body = body
			s.Cases = append(s.Cases, c)
		}
	}
	p.next()
	if hasInt && hasStr {
		p.diag.errorf(s.Pos, "switch mixes number cases with string or regex cases; Kamailio does not allow that")
	}
	return s
}

// caseHead parses "case LABEL:". On a bad label it reports the error, skips
// to the ':' and reports false, so the rest of the switch is still read.
func (p *parser) caseHead(c *Case) (ok bool) {
	defer recoverBailout(func() {
		ok = false
		for p.tok.kind != tEOF && p.tok.kind != tRBrace && p.tok.kind != tColon && !p.isIdent("case", "default") {
			p.next()
		}
		if p.tok.kind == tColon {
			p.next()
		}
	})
	p.next()
	p.caseLabel(c)
	p.expect(tColon, "after the case label")
	return true
}

func (p *parser) caseLabel(c *Case) {
	t := p.tok
	switch {
	case t.kind == tNumber:
		p.next()
		c.Value = &IntLit{Pos: t.pos, Value: t.num, Text: t.text}
	case t.kind == tMinus && p.peek(1).kind == tNumber:
		p.next()
		n := p.tok
		p.next()
		c.Value = &IntLit{Pos: t.pos, Value: -n.num, Text: "-" + n.text}
	case t.kind == tString:
		p.next()
		c.Value = &StrLit{Pos: t.pos, Value: t.text, Raw: t.raw}
	case t.kind == tSlash && p.peek(1).kind == tString:
		p.next()
		r := p.tok
		p.next()
		c.Value = &StrLit{Pos: r.pos, Value: r.text, Raw: r.raw}
		c.Regex = true
	default:
		p.unexpected("a case label: a number, a string or /\"regex\"")
	}
}

func (p *parser) exitStmt() Stmt {
	kw := p.tok
	p.next()
	var v Expr
	switch {
	case p.tok.kind == tSemi || p.tok.kind == tRBrace || p.tok.kind == tEOF:
	case p.tok.kind == tLParen && p.peek(1).kind == tRParen:
		p.next()
		p.next()
	default:
		v = p.expr()
	}
	if p.tok.kind != tSemi {
		p.failAt(p.tok, "unexpected %s, expected ';' after %s", p.tok.describe(), kw.text)
	}
	p.next()
	switch kw.text {
	case "return":
		return &ReturnStmt{Pos: kw.pos, Value: v}
	case "exit":
		return &ExitStmt{Pos: kw.pos, Value: v}
	}
	return &DropStmt{Pos: kw.pos, Value: v}
}

// routeCall parses route(NAME), route("NAME"), route(1) or route($var(x)).
func (p *parser) routeCall() *RouteCall {
	rc := &RouteCall{Pos: p.tok.pos}
	p.next()
	p.expect(tLParen, "after route (a route call is written route(NAME))")
	t := p.tok
	switch {
	case (t.kind == tIdent || t.kind == tNumber || t.kind == tString) && p.peek(1).kind == tRParen:
		rc.Name = t.text
		p.next()
	case t.kind == tRParen:
		p.unexpected("a route name in route(...)")
	default:
		rc.Target = p.expr()
	}
	p.expect(tRParen, "to close route(...)")
	return rc
}

// ---- expressions ----

// binaryPrec gives the operator and its precedence level (spec §3.2,
// lowest first). The bit operators bind looser than comparisons.
func binaryPrec(k tokKind) (Op, int) {
	switch k {
	case tOrOr:
		return OpOr, 1
	case tAndAnd:
		return OpAnd, 2
	case tBitOr:
		return OpBitOr, 3
	case tBitAnd:
		return OpBitAnd, 4
	case tBitXor:
		return OpBitXor, 5
	case tShl:
		return OpShl, 6
	case tShr:
		return OpShr, 7
	case tEq:
		return OpEq, 8
	case tNe:
		return OpNe, 8
	case tMatch:
		return OpMatch, 8
	case tStrEq:
		return OpStrEq, 8
	case tStrNe:
		return OpStrNe, 8
	case tIntEq:
		return OpIntEq, 8
	case tIntNe:
		return OpIntNe, 8
	case tLt:
		return OpLt, 9
	case tGt:
		return OpGt, 9
	case tLe:
		return OpLe, 9
	case tGe:
		return OpGe, 9
	case tPlus:
		return OpAdd, 10
	case tMinus:
		return OpSub, 10
	case tStar:
		return OpMul, 11
	case tSlash:
		return OpDiv, 11
	case tMod:
		return OpMod, 11
	}
	return OpInvalid, 0
}

func (p *parser) expr() Expr { return p.binary(1) }

// binary parses by precedence climbing; every level is left-associative.
func (p *parser) binary(minPrec int) Expr {
	x := p.unary()
	for {
		op, prec := binaryPrec(p.tok.kind)
		if prec == 0 || prec < minPrec {
			return x
		}
		pos := p.tok.pos
		p.next()
		y := p.binary(prec + 1)
		x = &Binary{Pos: pos, Op: op, X: x, Y: y}
	}
}

// unary parses the prefix operators. In Kamailio they all bind tighter
// than any binary operator: !$a == 1 is (!$a) == 1.
func (p *parser) unary() Expr {
	p.enter()
	defer p.leave()
	t := p.tok
	var op Op
	switch t.kind {
	case tNot:
		op = OpNot
	case tMinus:
		p.next()
		x := p.unary()
		if n, ok := x.(*IntLit); ok {
			return &IntLit{Pos: t.pos, Value: -n.Value, Text: "-" + n.Text}
		}
		return &Unary{Pos: t.pos, Op: OpNeg, X: x}
	case tBitNot:
		op = OpBitNot
	case tDefined:
		op = OpDefined
	case tIntCast:
		op = OpIntCast
	case tStrCast:
		op = OpStrCast
	default:
		return p.primary()
	}
	p.next()
	return &Unary{Pos: t.pos, Op: op, X: p.unary()}
}

func (p *parser) primary() Expr {
	t := p.tok
	switch t.kind {
	case tNumber:
		p.next()
		return &IntLit{Pos: t.pos, Value: t.num, Text: t.text}
	case tString:
		p.next()
		return &StrLit{Pos: t.pos, Value: t.text, Raw: t.raw}
	case tPV:
		p.next()
		if p.tok.kind == tLBrack && !p.tok.space {
			p.fail(p.tok.pos, "an index goes inside the pseudo-variable: write $(%s[...]) rather than %s[...]", strings.TrimPrefix(t.text, "$"), t.text)
		}
		return &PVar{Pos: t.pos, Text: t.text}
	case tSelect:
		p.next()
		return &Select{Pos: t.pos, Text: t.text}
	case tIPv4, tIPv6:
		p.next()
		return p.ipMask(&IPLit{Pos: t.pos, Addr: t.text})
	case tLBrack:
		a := p.peek(1)
		if (a.kind == tIPv6 || a.kind == tIPv4) && p.peek(2).kind == tRBrack {
			p.next()
			p.next()
			p.next()
			return p.ipMask(&IPLit{Pos: t.pos, Addr: a.text})
		}
	case tLParen:
		p.next()
		x := p.expr()
		if p.tok.kind == tAssign {
			pv, ok := x.(*PVar)
			if !ok {
				p.fail(p.tok.pos, "only a pseudo-variable can be assigned to")
			}
			p.next()
			x = &AssignExpr{Pos: pv.Pos, LHS: pv, Value: p.expr()}
		}
		p.expect(tRParen, "to close the parenthesis opened at "+t.pos.String())
		return x
	case tStrlen, tStrempty:
		op := OpStrlen
		if t.kind == tStrempty {
			op = OpStrempty
		}
		p.next()
		p.expect(tLParen, "after "+t.text)
		x := p.expr()
		p.expect(tRParen, "to close "+t.text+"(...)")
		return &Unary{Pos: t.pos, Op: op, X: x}
	case tIdent:
		return p.identExpr()
	case tLBrace:
		p.fail(t.pos, "a { actions } block used as a value is not supported")
	}
	p.unexpected("an expression")
	return nil
}

// ipMask reads an optional /bits or /netmask after an address.
func (p *parser) ipMask(ip *IPLit) Expr {
	if p.tok.kind == tSlash {
		if m := p.peek(1); m.kind == tNumber || m.kind == tIPv4 {
			p.next()
			ip.Mask = p.tok.text
			p.next()
		}
	}
	return ip
}

func (p *parser) identExpr() Expr {
	t := p.tok
	switch {
	case t.text == "route":
		return p.routeCall()
	case t.text == "selval":
		p.next()
		p.expect(tLParen, "after selval")
		s := &Selval{Pos: t.pos}
		s.Cond = p.expr()
		p.expect(tComma, "after the condition of selval(cond, a, b)")
		s.Then = p.expr()
		p.expect(tComma, "after the second argument of selval(cond, a, b)")
		s.Else = p.expr()
		p.expect(tRParen, "to close selval(...)")
		return s
	case coreExprKeywords[t.text]:
		p.next()
		return &Keyword{Pos: t.pos, Name: t.text}
	case p.peek(1).kind == tLParen:
		return p.call()
	}
	return &Ident{Pos: t.pos, Name: p.hostName()}
}

// call parses name(args); the current token is the name.
func (p *parser) call() *Call {
	name := p.tok
	p.next()
	p.next() // (
	c := &Call{Pos: name.pos, Name: name.text}
	if p.tok.kind != tRParen {
		for {
			c.Args = append(c.Args, p.callArg())
			if p.tok.kind != tComma {
				break
			}
			p.next()
		}
	}
	if p.tok.kind != tRParen {
		p.unexpected("',' or ')' in the arguments of " + name.text + "(...)")
	}
	p.next()
	return c
}

// callArg parses one argument. Core actions take socket addresses
// (force_send_socket(udp:1.2.3.4:5060)) and host:port, which are not
// expressions; everything else is.
func (p *parser) callArg() Expr {
	if p.tok.kind == tIdent && transportProtos[p.tok.text] && p.peek(1).kind == tColon {
		return p.socketAddr(false)
	}
	x := p.expr()
	if p.tok.kind == tColon && p.peek(1).kind == tNumber {
		var host string
		switch h := x.(type) {
		case *Ident:
			host = h.Name
		case *IPLit:
			if h.Mask == "" {
				host = h.Addr
			}
		}
		if host != "" {
			p.next()
			port := p.tok
			p.next()
			return &SocketAddr{Pos: x.Position(), Hosts: []string{host}, Port: port.num}
		}
	}
	return x
}

// checkBareNames reports bare words used as values where Kamailio does not
// accept them. A word is a value only next to a core keyword (method ==
// INVITE, src_ip == host.example.com, proto == udp) or as a function
// argument (setflag(FLAG), forward(host), t_on_failure(NAME) is left to the
// checker). Anywhere else it is an undefined name: Kamailio reads it as a
// call without parentheses and rejects it.
func (p *parser) checkBareNames(list []Stmt) {
	for _, s := range list {
		Inspect(s, func(n Node) bool {
			switch n := n.(type) {
			case *Call:
				for _, a := range n.Args {
					if _, ok := a.(*Ident); !ok {
						p.checkExprNames(a)
					}
				}
				return false
			case Expr:
				p.checkExprNames(n)
				return false
			}
			return true
		})
	}
}

func (p *parser) checkExprNames(e Expr) {
	Inspect(e, func(n Node) bool {
		switch n := n.(type) {
		case *Binary:
			_, xk := n.X.(*Keyword)
			_, yk := n.Y.(*Keyword)
			if xk || yk {
				for _, side := range []Expr{n.X, n.Y} {
					if _, ok := side.(*Ident); !ok {
						p.checkExprNames(side)
					}
				}
				return false
			}
		case *Call:
			p.checkBareNames([]Stmt{n})
			return false
		case *Ident:
			if isDigit(n.Name[0]) {
				p.diag.errorf(n.Pos, "invalid number %s", n.Name)
			} else {
				p.diag.errorf(n.Pos, "unknown name %s: it is not a #!define; put a string in quotes, or define the name", n.Name)
			}
		}
		return true
	})
}
