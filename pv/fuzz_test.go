package pv

import (
	"testing"
)

var fuzzSeeds = []string{
	"$ru", "$rU", "$(ru{uri.user})", "$hdr(Via)", "$(hdr(Via)[-1])", "$(hdr(Via)[*])",
	"$(avp(x)[$var(i)])", "$hdr($var(h))", "$(var(x){s.substr,1,2}{s.len})",
	"$(var(x){s.select,1,,})", `$(var(x){s.select,1,\s})`, "$(var(x){param.value,$var(n)})",
	"$xavp(r[0]=>k)", "$_s($rU@$rd)", "$?", "$$", "$", "$(", "$((", "$(ru", "$(ru{", "$(ru{s.",
	"$avp(x)[1]", "$(hdr(X)[", "$(hdr(X)[$", "$_s($_s($_s($ru)))", "a $rm b $$ c",
}

// FuzzParse checks that Parse never panics, and that a parsed PV reads
// without panicking from a real message and from an empty context.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	c := newCtx(f, inviteText)
	f.Fuzz(func(t *testing.T, text string) {
		v, err := Parse(text, CoreLookup)
		if err != nil {
			return
		}
		_, _ = v.Get(c)
		_, _ = v.Get(newCtx(t, optionsText))
	})
}

// FuzzParseFormat checks that ParseFormat never panics and that a
// parsed format evaluates.
func FuzzParseFormat(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	c := newCtx(f, inviteText)
	f.Fuzz(func(t *testing.T, text string) {
		fm, err := ParseFormat(text, CoreLookup)
		if err != nil {
			return
		}
		if _, err := fm.Eval(c); err != nil {
			t.Fatalf("Eval(%q): %v", text, err)
		}
		_ = fm.String()
	})
}
