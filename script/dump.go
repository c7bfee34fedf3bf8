package script

import (
	"bufio"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Dump writes cfg in a canonical form: defines expanded, includes inlined,
// one statement per line, blocks always braced, strings double-quoted,
// numbers in decimal, and every operator operand that is itself an
// operation in parentheses so that precedence is visible. The output is
// itself a valid configuration that parses to the same tree.
func Dump(w io.Writer, cfg *Config) error {
	d := &dumper{w: bufio.NewWriter(w)}
	if cfg.Compat != "" {
		d.line("#!" + cfg.Compat)
	}
	prevRoute := false
	for i, decl := range cfg.Decls {
		r, isRoute := decl.(*Route)
		if i > 0 && (isRoute || prevRoute) {
			d.line("")
		}
		prevRoute = isRoute
		if isRoute {
			d.route(r)
			continue
		}
		d.line(declString(decl))
	}
	return d.w.Flush()
}

type dumper struct {
	w      *bufio.Writer
	indent int
}

func (d *dumper) line(s string) {
	if s != "" {
		for i := 0; i < d.indent; i++ {
			d.w.WriteByte('\t')
		}
	}
	d.w.WriteString(s)
	d.w.WriteByte('\n')
}

func declString(decl Decl) string {
	switch n := decl.(type) {
	case *GlobalAssign:
		return n.Name + " = " + exprString(n.Value)
	case *CfgVar:
		s := n.Group + "." + n.Name + " = " + exprString(n.Value)
		if n.Desc != "" {
			s += " desc " + quoteString(n.Desc)
		}
		return s
	case *CoreParam:
		return "coreparam[" + n.Name + "] = " + exprString(n.Value)
	case *SocketBlock:
		var b strings.Builder
		b.WriteString("socket = {")
		for _, a := range n.Attrs {
			b.WriteString(" " + a.Name + " = " + exprString(a.Value) + ";")
		}
		b.WriteString(" }")
		return b.String()
	case *FlagDecl:
		parts := make([]string, len(n.Flags))
		for i, f := range n.Flags {
			parts[i] = f.Name
			if f.Bit >= 0 {
				parts[i] += ":" + strconv.FormatInt(f.Bit, 10)
			}
		}
		return n.Keyword + " " + strings.Join(parts, ", ")
	case *LoadModule:
		kw := "loadmodule"
		if n.Dynamic {
			kw = "loadmodulex"
		}
		if n.Opts != "" {
			return kw + "(" + quoteString(n.Path) + ", " + quoteString(n.Opts) + ")"
		}
		return kw + " " + quoteString(n.Path)
	case *LoadPath:
		return "loadpath " + quoteString(n.Path)
	case *ModParam:
		kw := "modparam"
		if n.Extended {
			kw = "modparamx"
		}
		return kw + "(" + quoteString(n.Module) + ", " + quoteString(n.Param) + ", " + exprString(n.Value) + ")"
	case *CfgEngine:
		return "cfgengine " + quoteString(n.Engine)
	}
	return "# ?"
}

func (d *dumper) route(r *Route) {
	head := r.Keyword
	if r.Name != "" {
		name := r.Name
		if r.Kind != EventRoute && !isPlainName(name) {
			name = quoteString(name)
		}
		head += "[" + name + "]"
	}
	d.line(head + " {")
	d.stmts(r.Body)
	d.line("}")
}

func (d *dumper) stmts(list []Stmt) {
	d.indent++
	for _, s := range list {
		d.stmt(s)
	}
	d.indent--
}

func (d *dumper) stmt(s Stmt) {
	switch n := s.(type) {
	case *IfStmt:
		d.ifStmt(n, "")
	case *WhileStmt:
		d.line("while (" + exprString(n.Cond) + ") {")
		d.stmts(n.Body)
		d.line("}")
	case *SwitchStmt:
		d.line("switch (" + exprString(n.Value) + ") {")
		for _, c := range n.Cases {
			switch {
			case c.Default:
				d.line("default:")
			case c.Regex:
				d.line("case /" + exprString(c.Value) + ":")
			default:
				d.line("case " + exprString(c.Value) + ":")
			}
			d.stmts(c.Body)
		}
		d.line("}")
	case *ReturnStmt:
		d.line(withValue("return", n.Value))
	case *ExitStmt:
		d.line(withValue("exit", n.Value))
	case *DropStmt:
		d.line(withValue("drop", n.Value))
	case *BreakStmt:
		d.line("break;")
	case *AssignStmt:
		d.line(n.LHS.Text + " = " + exprString(n.Value) + ";")
	case *Call:
		d.line(exprString(n) + ";")
	case *RouteCall:
		d.line(exprString(n) + ";")
	}
}

func (d *dumper) ifStmt(n *IfStmt, prefix string) {
	d.line(prefix + "if (" + exprString(n.Cond) + ") {")
	d.stmts(n.Then)
	if n.Else == nil {
		d.line("}")
		return
	}
	if len(n.Else) == 1 {
		if elif, ok := n.Else[0].(*IfStmt); ok {
			d.ifStmt(elif, "} else ")
			return
		}
	}
	d.line("} else {")
	d.stmts(n.Else)
	d.line("}")
}

func withValue(kw string, v Expr) string {
	if v == nil {
		return kw + ";"
	}
	return kw + " " + exprString(v) + ";"
}

// exprString renders an expression; operands that are operations are put
// in parentheses.
func exprString(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e, true)
	return b.String()
}

func writeExpr(b *strings.Builder, e Expr, top bool) {
	switch n := e.(type) {
	case nil:
		b.WriteString("<nil>")
	case *IntLit:
		b.WriteString(strconv.FormatInt(n.Value, 10))
	case *StrLit:
		b.WriteString(quoteString(n.Value))
	case *PVar:
		b.WriteString(n.Text)
	case *Select:
		b.WriteString(n.Text)
	case *Ident:
		b.WriteString(n.Name)
	case *Keyword:
		b.WriteString(n.Name)
	case *IPLit:
		b.WriteString(n.Addr)
		if n.Mask != "" {
			b.WriteString("/" + n.Mask)
		}
	case *Unary:
		switch n.Op {
		case OpStrlen, OpStrempty:
			b.WriteString(n.Op.String() + "(")
			writeExpr(b, n.X, true)
			b.WriteString(")")
			return
		case OpDefined:
			b.WriteString("defined ")
		default:
			b.WriteString(n.Op.String())
		}
		writeExpr(b, n.X, false)
	case *Binary:
		if !top {
			b.WriteByte('(')
		}
		writeExpr(b, n.X, false)
		b.WriteString(" " + n.Op.String() + " ")
		writeExpr(b, n.Y, false)
		if !top {
			b.WriteByte(')')
		}
	case *Call:
		b.WriteString(n.Name + "(")
		for i, a := range n.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			writeExpr(b, a, true)
		}
		b.WriteString(")")
	case *RouteCall:
		b.WriteString("route(")
		switch {
		case n.Target != nil:
			writeExpr(b, n.Target, true)
		case isPlainName(n.Name):
			b.WriteString(n.Name)
		default:
			b.WriteString(quoteString(n.Name))
		}
		b.WriteString(")")
	case *Selval:
		b.WriteString("selval(")
		writeExpr(b, n.Cond, true)
		b.WriteString(", ")
		writeExpr(b, n.Then, true)
		b.WriteString(", ")
		writeExpr(b, n.Else, true)
		b.WriteString(")")
	case *AssignExpr:
		b.WriteString("(" + n.LHS.Text + " = ")
		writeExpr(b, n.Value, true)
		b.WriteString(")")
	case *SocketAddr:
		b.WriteString(socketString(n))
	case *SocketList:
		for i, a := range n.Addrs {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(socketString(a))
		}
		if n.Advertise != nil {
			b.WriteString(" advertise " + socketString(n.Advertise))
		}
		if n.Name != "" {
			b.WriteString(" name " + quoteString(n.Name))
		}
		if n.AgName != "" {
			b.WriteString(" agname " + quoteString(n.AgName))
		}
		if n.Virtual {
			b.WriteString(" virtual")
		}
	default:
		b.WriteString("<?>")
	}
}

func socketString(a *SocketAddr) string {
	var b strings.Builder
	if a.Proto != "" {
		b.WriteString(a.Proto + ":")
	}
	host := func(h string) string {
		if ip, err := netip.ParseAddr(h); err == nil {
			if ip.Is6() {
				return "[" + h + "]"
			}
			return h
		}
		if isPlainHost(h) {
			return h
		}
		// Anything else came from a quoted string (alias="!"); a string
		// is always a valid host, so quote it back.
		return quoteString(h)
	}
	if len(a.Hosts) == 1 {
		b.WriteString(host(a.Hosts[0]))
	} else {
		b.WriteByte('(')
		for i, h := range a.Hosts {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(host(h))
		}
		b.WriteByte(')')
	}
	if a.Port != 0 {
		b.WriteString(":" + strconv.FormatInt(a.Port, 10))
		if a.PortEnd != 0 {
			b.WriteString("-" + strconv.FormatInt(a.PortEnd, 10))
		}
	}
	return b.String()
}

// isPlainHost reports whether h reads back as the same host name when
// written bare: words of letters, digits and '_' joined by single dots or
// dashes (sip.example.com, my-host, 1and1.com). Anything else can only have
// come from one string token (the lexer joins adjacent strings), so quoting
// it never makes two strings meet.
func isPlainHost(h string) bool {
	word := 0
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case isLetter(c) || isDigit(c):
			word++
		case (c == '.' || c == '-') && word > 0:
			word = 0
		default:
			return false
		}
	}
	return word > 0
}

// isPlainName reports whether a route name can be written without quotes.
func isPlainName(s string) bool {
	if s == "" {
		return false
	}
	if allOf(s, isDigit) {
		return true
	}
	_, isNumber := wordNumbers[s]
	_, isOperator := wordOperators[s]
	return isLetter(s[0]) && allOf(s, isAlnum) && !reservedWords[s] && !isNumber && !isOperator
}

// quoteString writes s as a Kamailio double-quoted string literal that
// reads back to s.
func quoteString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		default:
			if c < 0x20 || c == 0x7f {
				b.WriteString(`\x`)
				b.WriteByte("0123456789abcdef"[c>>4])
				b.WriteByte("0123456789abcdef"[c&15])
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
