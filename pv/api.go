package pv

import (
	"errors"

	"github.com/olelo-sip/olelo/module"
)

// Lookup finds a pseudo-variable class by name ("ru", "hdr", "var") among
// those of the loaded modules. The compiler builds it from the instances
// of the loaded modules (module.PVProvider).
type Lookup func(name string) (module.PVClass, bool)

// Parse prepares the pseudo-variable written as text, as the lexer kept
// it: "$ru", "$hdr(Via)", "$var(x)", "$avp(s:x)[1]", "$(hdr(Via)[1])",
// "$(ru{uri.user})", "$?", "$rc". Errors say what is wrong with the text.
func Parse(text string, lookup Lookup) (module.PV, error) {
	return nil, errors.New("pv: not implemented yet")
}

// Format is a string with embedded pseudo-variables and transformations
// ("From $fu to $(ru{uri.user})"), prepared once and expanded per message.
type Format struct {
	parts []part
	// Const holds the text when the format has no pseudo-variables.
	Const   string
	IsConst bool
}

type part struct {
	text string
	pv   module.PV
}

// ParseFormat prepares a format string.
func ParseFormat(s string, lookup Lookup) (*Format, error) {
	return nil, errors.New("pv: not implemented yet")
}

// Eval expands the format for this message. A null pseudo-variable is
// written as "<null>" (Kamailio's rule for format strings).
func (f *Format) Eval(c *module.Ctx) (string, error) {
	return "", errors.New("pv: not implemented yet")
}
