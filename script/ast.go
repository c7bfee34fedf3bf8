package script

import "sort"

// Node is any element of the syntax tree. Every node knows where it was
// written; for text produced by a #!define it is where the define was used.
type Node interface {
	Position() Pos
}

// Decl is a top-level item of the configuration.
type Decl interface {
	Node
	declNode()
}

// Stmt is an action inside a route block.
type Stmt interface {
	Node
	stmtNode()
}

// Expr is an expression (Kamailio's rval_expr), or a value in the global
// section.
type Expr interface {
	Node
	exprNode()
}

// Config is a parsed configuration.
type Config struct {
	File   string // the file given to ParseFile (the name given to ParseBytes)
	Compat string // "KAMAILIO", "OPENSER", "MAXCOMPAT", "ALL" from a #!KAMAILIO-style header; "" if none

	// Decls holds every top-level item in source order (includes in place).
	// The typed lists below index the same nodes.
	Decls      []Decl
	Globals    []*GlobalAssign
	CfgVars    []*CfgVar
	CoreParams []*CoreParam
	Sockets    []*SocketBlock
	Flags      []*FlagDecl
	Modules    []*LoadModule
	LoadPaths  []*LoadPath
	ModParams  []*ModParam
	CfgEngine  *CfgEngine
	Routes     []*Route // in source order

	// Defines is the define table at the end of the file: name to value,
	// "" for a define without value. It includes the predefined names,
	// -A names and MOD_<module> for each loadmodule.
	Defines map[string]string
	// Files lists every file read, the main one first.
	Files []string
	// Warnings are problems that do not stop the configuration from
	// running, such as constructs Kamailio reads differently than they look.
	Warnings ErrorList

	routeIndex map[RouteKind]map[string]*Route
}

// Route returns the route block of the given kind and name, or nil. The
// default (unnamed) block of a kind has the name ""; "0" means the same.
func (c *Config) Route(kind RouteKind, name string) *Route {
	if name == "0" {
		name = ""
	}
	return c.routeIndex[kind][name]
}

// RouteNames returns the names of the blocks of a kind, sorted; the default
// block is "".
func (c *Config) RouteNames(kind RouteKind) []string {
	var names []string
	for n := range c.routeIndex[kind] {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// RouteKind is the kind of a route block (spec §2).
type RouteKind uint8

const (
	RequestRoute RouteKind = iota // request_route, route, route[NAME]
	FailureRoute                  // failure_route[NAME]
	ReplyRoute                    // reply_route and onreply_route (default); onreply_route[NAME] (tm)
	BranchRoute                   // branch_route[NAME]
	OnSendRoute                   // onsend_route
	EventRoute                    // event_route[module:event]
)

var routeKindNames = [...]string{"request_route", "failure_route", "onreply_route", "branch_route", "onsend_route", "event_route"}

func (k RouteKind) String() string {
	if int(k) < len(routeKindNames) {
		return routeKindNames[k]
	}
	return "route"
}

// ---- top-level declarations ----

// GlobalAssign is a core parameter: "name = value". Value is an *IntLit,
// *StrLit, *Ident (e.g. LOG_LOCAL0, a host name), *IPLit, or for listen and
// alias a *SocketList.
type GlobalAssign struct {
	Pos   Pos
	Name  string // e.g. "debug", "listen", "kemi.onsend_route_callback"
	Value Expr
}

// CfgVar is a custom configuration variable, "group.name = value desc
// "text"", readable as $sel(cfg_get.group.name) and settable over RPC.
type CfgVar struct {
	Pos   Pos
	Group string
	Name  string
	Value Expr // *IntLit or *StrLit
	Desc  string
}

// CoreParam is "coreparam[name] = value" (newer Kamailio).
type CoreParam struct {
	Pos   Pos
	Name  string
	Value Expr
}

// SocketBlock is "socket = { bind = udp:1.2.3.4:5060; name = "s1"; ... }"
// (newer Kamailio). Attributes keep their order.
type SocketBlock struct {
	Pos   Pos
	Attrs []*SocketAttr
}

// SocketAttr is one "name = value" inside a socket block; bind and
// advertise values are *SocketAddr.
type SocketAttr struct {
	Pos   Pos
	Name  string
	Value Expr
}

// FlagDecl declares named flags: "flags NAME[:bit], ..." (or avpflags).
type FlagDecl struct {
	Pos     Pos
	Keyword string // "flags", "bool" or "avpflags"
	Flags   []FlagDef
}

// FlagDef is one declared flag; Bit is -1 when no number was given.
type FlagDef struct {
	Pos  Pos
	Name string
	Bit  int64
}

// LoadModule is "loadmodule "path"" in any of its forms.
type LoadModule struct {
	Pos     Pos
	Path    string // as written: "tm.so", "/usr/lib/.../tm.so", "tm"
	Name    string // module name: base name without ".so"
	Opts    string // second argument of loadmodule("x", "opts"), if any
	Dynamic bool   // loadmodulex: the path holds pseudo-variables
}

// LoadPath is "loadpath "dir"" or "mpath = "dir"".
type LoadPath struct {
	Pos  Pos
	Path string
}

// ModParam is "modparam("module", "param", value)". Module is a regular
// expression matched against module names (spec §1.3).
type ModParam struct {
	Pos      Pos
	Module   string
	Param    string
	Value    Expr // *IntLit or *StrLit
	Extended bool // modparamx: value evaluated with pseudo-variables
}

// CfgEngine is "cfgengine "lua"" (KEMI).
type CfgEngine struct {
	Pos    Pos
	Engine string
}

// Route is a route block.
type Route struct {
	Pos     Pos // the keyword
	Kind    RouteKind
	Name    string // "" for the default block of its kind
	NamePos Pos
	Keyword string // as written: route, request_route, onreply_route, reply_route ...
	Body    []Stmt
	End     Pos // the closing brace
}

// ---- statements ----

// IfStmt is "if (Cond) Then else Else". An "else if" is an Else holding
// one IfStmt.
type IfStmt struct {
	Pos  Pos
	Cond Expr
	Then []Stmt
	Else []Stmt // nil when there is no else
}

// WhileStmt is "while (Cond) Body".
type WhileStmt struct {
	Pos  Pos
	Cond Expr
	Body []Stmt
}

// SwitchStmt is "switch (Value) { case ...: ... }". The case bodies run
// with C fall-through until break (spec §3.1).
type SwitchStmt struct {
	Pos   Pos
	Value Expr
	Cases []*Case
}

// Case is one "case Value:" or "default:" label with the statements that
// follow it. Value is an *IntLit or *StrLit; Regex marks "case /"re":".
type Case struct {
	Pos     Pos
	Default bool
	Value   Expr
	Regex   bool
	Body    []Stmt
}

// ReturnStmt is "return [expr];". A nil Value returns 1.
type ReturnStmt struct {
	Pos   Pos
	Value Expr
}

// ExitStmt is "exit [expr];": stop the whole script.
type ExitStmt struct {
	Pos   Pos
	Value Expr
}

// DropStmt is "drop [expr];": exit and drop the message or branch.
type DropStmt struct {
	Pos   Pos
	Value Expr
}

// BreakStmt is "break;".
type BreakStmt struct {
	Pos Pos
}

// AssignStmt is "$pv = expr;".
type AssignStmt struct {
	Pos   Pos
	LHS   *PVar
	Value Expr
}

// ---- expressions ----

// IntLit is a number. Text is the spelling (0x1F, yes, -3).
type IntLit struct {
	Pos   Pos
	Value int64
	Text  string
}

// StrLit is a string, already decoded (escapes processed, adjacent
// strings joined, #!subst rules applied). Raw marks a single-quoted string.
type StrLit struct {
	Pos   Pos
	Value string
	Raw   bool
}

// PVar is a pseudo-variable, kept as written: $ru, $var(x),
// $(hdr(From){uri.user}).
type PVar struct {
	Pos  Pos
	Text string
}

// Select is a legacy select: @cfg_get.group.var.
type Select struct {
	Pos  Pos
	Text string
}

// Ident is a bare word that is not a define: a method name (INVITE), a
// transport (udp), a flag name, a log facility, a host name (a.example.com)
// or an undefined name the checker will complain about.
type Ident struct {
	Pos  Pos
	Name string
}

// IPLit is an IP address or network: 10.0.0.1, 10.0.0.0/8,
// 10.0.0.0/255.0.0.0, ::1, [2001:db8::1], 2001:db8::/32.
type IPLit struct {
	Pos  Pos
	Addr string
	Mask string // "" when there is no /mask
}

// Keyword is a core keyword operand (spec §3.4): method, uri, status,
// from_uri, to_uri, src_ip, dst_ip, src_port, dst_port, proto, af,
// snd_*, to_*, msg:len, myself, and uri:host / uri:port for forward().
type Keyword struct {
	Pos  Pos
	Name string
}

// Unary is a prefix operator: ! - ~ defined (int) (str) strlen() strempty().
type Unary struct {
	Pos Pos
	Op  Op
	X   Expr
}

// Binary is a binary operator.
type Binary struct {
	Pos  Pos // the operator
	Op   Op
	X, Y Expr
}

// Call is a call of a core action or module function: name(args). Args
// are kept as expressions; the checker resolves Name with len(Args) and
// checks the argument types. A Call is also a statement.
type Call struct {
	Pos      Pos
	Name     string
	Args     []Expr
	NoParens bool // written without parentheses ("force_rport;")
}

// RouteCall is "route(NAME)". Target is set instead of Name when the
// route is chosen at run time: route($var(r)).
type RouteCall struct {
	Pos    Pos
	Name   string
	Target Expr
}

// Selval is "selval(cond, a, b)": a when cond holds, else b.
type Selval struct {
	Pos              Pos
	Cond, Then, Else Expr
}

// AssignExpr is an assignment used as a value: "($x = expr)".
type AssignExpr struct {
	Pos   Pos
	LHS   *PVar
	Value Expr
}

// SocketAddr is a socket address: [proto:]host[:port[-endport]].
// Hosts has more than one entry for multihomed SCTP: (a,b).
type SocketAddr struct {
	Pos     Pos
	Proto   string // "" when absent
	Hosts   []string
	Port    int64 // 0 when absent
	PortEnd int64 // end of a port range (socket blocks), else 0
}

// SocketList is the value of listen or alias: one or more addresses, and
// for listen the options that follow.
type SocketList struct {
	Pos       Pos
	Addrs     []*SocketAddr
	Advertise *SocketAddr
	Name      string
	AgName    string
	Virtual   bool
}

// Op is an operator.
type Op uint8

const (
	OpInvalid Op = iota
	OpOr
	OpAnd
	OpBitOr
	OpBitAnd
	OpBitXor
	OpShl
	OpShr
	OpEq
	OpNe
	OpMatch
	OpStrEq
	OpStrNe
	OpIntEq
	OpIntNe
	OpLt
	OpGt
	OpLe
	OpGe
	OpAdd
	OpSub
	OpMul
	OpDiv
	OpMod
	OpNot
	OpNeg
	OpBitNot
	OpDefined
	OpIntCast
	OpStrCast
	OpStrlen
	OpStrempty
)

var opNames = [...]string{
	OpInvalid: "?", OpOr: "||", OpAnd: "&&", OpBitOr: "|", OpBitAnd: "&", OpBitXor: "^",
	OpShl: "<<", OpShr: ">>", OpEq: "==", OpNe: "!=", OpMatch: "=~", OpStrEq: "eq",
	OpStrNe: "ne", OpIntEq: "ieq", OpIntNe: "ine", OpLt: "<", OpGt: ">", OpLe: "<=",
	OpGe: ">=", OpAdd: "+", OpSub: "-", OpMul: "*", OpDiv: "/", OpMod: "mod",
	OpNot: "!", OpNeg: "-", OpBitNot: "~", OpDefined: "defined", OpIntCast: "(int)",
	OpStrCast: "(str)", OpStrlen: "strlen", OpStrempty: "strempty",
}

// String returns the operator as written in a configuration.
func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "?"
}

func (n *GlobalAssign) Position() Pos { return n.Pos }
func (n *CfgVar) Position() Pos       { return n.Pos }
func (n *CoreParam) Position() Pos    { return n.Pos }
func (n *SocketBlock) Position() Pos  { return n.Pos }
func (n *SocketAttr) Position() Pos   { return n.Pos }
func (n *FlagDecl) Position() Pos     { return n.Pos }
func (n *LoadModule) Position() Pos   { return n.Pos }
func (n *LoadPath) Position() Pos     { return n.Pos }
func (n *ModParam) Position() Pos     { return n.Pos }
func (n *CfgEngine) Position() Pos    { return n.Pos }
func (n *Route) Position() Pos        { return n.Pos }
func (n *IfStmt) Position() Pos       { return n.Pos }
func (n *WhileStmt) Position() Pos    { return n.Pos }
func (n *SwitchStmt) Position() Pos   { return n.Pos }
func (n *Case) Position() Pos         { return n.Pos }
func (n *ReturnStmt) Position() Pos   { return n.Pos }
func (n *ExitStmt) Position() Pos     { return n.Pos }
func (n *DropStmt) Position() Pos     { return n.Pos }
func (n *BreakStmt) Position() Pos    { return n.Pos }
func (n *AssignStmt) Position() Pos   { return n.Pos }
func (n *IntLit) Position() Pos       { return n.Pos }
func (n *StrLit) Position() Pos       { return n.Pos }
func (n *PVar) Position() Pos         { return n.Pos }
func (n *Select) Position() Pos       { return n.Pos }
func (n *Ident) Position() Pos        { return n.Pos }
func (n *IPLit) Position() Pos        { return n.Pos }
func (n *Keyword) Position() Pos      { return n.Pos }
func (n *Unary) Position() Pos        { return n.Pos }
func (n *Binary) Position() Pos       { return n.Pos }
func (n *Call) Position() Pos         { return n.Pos }
func (n *RouteCall) Position() Pos    { return n.Pos }
func (n *Selval) Position() Pos       { return n.Pos }
func (n *AssignExpr) Position() Pos   { return n.Pos }
func (n *SocketAddr) Position() Pos   { return n.Pos }
func (n *SocketList) Position() Pos   { return n.Pos }

func (*GlobalAssign) declNode() {}
func (*CfgVar) declNode()       {}
func (*CoreParam) declNode()    {}
func (*SocketBlock) declNode()  {}
func (*FlagDecl) declNode()     {}
func (*LoadModule) declNode()   {}
func (*LoadPath) declNode()     {}
func (*ModParam) declNode()     {}
func (*CfgEngine) declNode()    {}
func (*Route) declNode()        {}

func (*IfStmt) stmtNode()     {}
func (*WhileStmt) stmtNode()  {}
func (*SwitchStmt) stmtNode() {}
func (*ReturnStmt) stmtNode() {}
func (*ExitStmt) stmtNode()   {}
func (*DropStmt) stmtNode()   {}
func (*BreakStmt) stmtNode()  {}
func (*AssignStmt) stmtNode() {}
func (*Call) stmtNode()       {}
func (*RouteCall) stmtNode()  {}

func (*IntLit) exprNode()     {}
func (*StrLit) exprNode()     {}
func (*PVar) exprNode()       {}
func (*Select) exprNode()     {}
func (*Ident) exprNode()      {}
func (*IPLit) exprNode()      {}
func (*Keyword) exprNode()    {}
func (*Unary) exprNode()      {}
func (*Binary) exprNode()     {}
func (*Call) exprNode()       {}
func (*RouteCall) exprNode()  {}
func (*Selval) exprNode()     {}
func (*AssignExpr) exprNode() {}
func (*SocketAddr) exprNode() {}
func (*SocketList) exprNode() {}

// Inspect walks the tree rooted at n in depth-first order, calling f for
// each node; when f returns false the node's children are skipped.
func Inspect(n Node, f func(Node) bool) {
	if n == nil || !f(n) {
		return
	}
	stmts := func(list []Stmt) {
		for _, s := range list {
			Inspect(s, f)
		}
	}
	expr := func(e Expr) {
		if e != nil {
			Inspect(e, f)
		}
	}
	switch n := n.(type) {
	case *GlobalAssign:
		expr(n.Value)
	case *CfgVar:
		expr(n.Value)
	case *CoreParam:
		expr(n.Value)
	case *SocketBlock:
		for _, a := range n.Attrs {
			Inspect(a, f)
		}
	case *SocketAttr:
		expr(n.Value)
	case *ModParam:
		expr(n.Value)
	case *Route:
		stmts(n.Body)
	case *IfStmt:
		expr(n.Cond)
		stmts(n.Then)
		stmts(n.Else)
	case *WhileStmt:
		expr(n.Cond)
		stmts(n.Body)
	case *SwitchStmt:
		expr(n.Value)
		for _, c := range n.Cases {
			Inspect(c, f)
		}
	case *Case:
		expr(n.Value)
		stmts(n.Body)
	case *ReturnStmt:
		expr(n.Value)
	case *ExitStmt:
		expr(n.Value)
	case *DropStmt:
		expr(n.Value)
	case *AssignStmt:
		Inspect(n.LHS, f)
		expr(n.Value)
	case *Unary:
		expr(n.X)
	case *Binary:
		expr(n.X)
		expr(n.Y)
	case *Call:
		for _, a := range n.Args {
			expr(a)
		}
	case *RouteCall:
		expr(n.Target)
	case *Selval:
		expr(n.Cond)
		expr(n.Then)
		expr(n.Else)
	case *AssignExpr:
		Inspect(n.LHS, f)
		expr(n.Value)
	case *SocketList:
		for _, a := range n.Addrs {
			Inspect(a, f)
		}
		if n.Advertise != nil {
			Inspect(n.Advertise, f)
		}
	}
}
