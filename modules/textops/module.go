package textops

import (
	"fmt"
	"strings"

	"github.com/olelo-sip/olelo/module"
)

func init() {
	module.Register(module.Module{
		Name: "textops",
		Doc:  "header and body edits, regular-expression searches and substitutions",
		New:  func() module.Instance { return &Instance{} },
	})
}

// Instance is the textops module. It has no modparams.
type Instance struct {
	res regexCache
}

// Funcs lists textops' functions.
func (m *Instance) Funcs() []module.Func {
	s, re := module.ArgStr, module.ArgRegex
	any := module.AnyRoute
	return []module.Func{
		{Name: "append_hf", Args: []module.ArgKind{s}, Routes: any, Run: runAppendHF, Doc: "add header lines after the last header"},
		{Name: "append_hf", Args: []module.ArgKind{s, s}, Routes: any, Run: runAppendHF, Doc: "add header lines after the last header with a name"},
		{Name: "insert_hf", Args: []module.ArgKind{s}, Routes: any, Run: runInsertHF, Doc: "add header lines before the first header"},
		{Name: "insert_hf", Args: []module.ArgKind{s, s}, Routes: any, Run: runInsertHF, Doc: "add header lines before the first header with a name"},
		{Name: "remove_hf", Args: []module.ArgKind{s}, Routes: any, Run: runRemoveHF, Doc: "remove every header with a name"},
		{Name: "remove_hf_re", Args: []module.ArgKind{re}, Routes: any, Run: m.runRemoveHFRe, Doc: "remove every header whose name matches"},
		{Name: "is_present_hf", Args: []module.ArgKind{s}, Routes: any, Run: runIsPresentHF, Doc: "true when a header with a name is present"},
		{Name: "is_present_hf_re", Args: []module.ArgKind{re}, Routes: any, Run: m.runIsPresentHFRe, Doc: "true when a header name matches"},
		{Name: "search", Args: []module.ArgKind{re}, Routes: any, Run: m.runSearch, Doc: "true when the message matches"},
		{Name: "search_body", Args: []module.ArgKind{re}, Routes: any, Run: m.runSearchBody, Doc: "true when the body matches"},
		{Name: "search_hf", Args: []module.ArgKind{s, re, s}, Routes: any, Check: checkSearchHFMode, Run: m.runSearchHF, Doc: "true when a header's value matches"},
		{Name: "replace", Args: []module.ArgKind{re, s}, Routes: any, Run: m.replacer(false, false), Doc: "replace the first match in the message"},
		{Name: "replace_all", Args: []module.ArgKind{re, s}, Routes: any, Run: m.replacer(false, true), Doc: "replace every match in the message"},
		{Name: "replace_body", Args: []module.ArgKind{re, s}, Routes: any, Run: m.replacer(true, false), Doc: "replace the first match in the body"},
		{Name: "replace_body_all", Args: []module.ArgKind{re, s}, Routes: any, Run: m.replacer(true, true), Doc: "replace every match in the body"},
		{Name: "subst", Args: []module.ArgKind{s}, Routes: any, Check: checkSubst, Run: m.runSubst, Doc: "sed-like substitution on the message: '/re/repl/flags'"},
		{Name: "subst_body", Args: []module.ArgKind{s}, Routes: any, Check: checkSubst, Run: m.runSubstBody, Doc: "sed-like substitution on the body"},
		{Name: "subst_uri", Args: []module.ArgKind{s}, Check: checkSubst, Run: m.runSubstURI, Doc: "sed-like substitution on the Request-URI"},
		{Name: "subst_user", Args: []module.ArgKind{s}, Check: checkSubst, Run: m.runSubstUser, Doc: "sed-like substitution on the Request-URI user"},
		{Name: "set_body", Args: []module.ArgKind{s, s}, Routes: any, Run: runSetBody, Doc: "replace the body and its Content-Type"},
		{Name: "has_body", Routes: any, Run: runHasBody, Doc: "true when the message has a body"},
		{Name: "has_body", Args: []module.ArgKind{s}, Routes: any, Run: runHasBody, Doc: "true when the message has a body of a content type"},
		{Name: "is_method", Args: []module.ArgKind{s}, Routes: any, Check: checkMethods, Run: runIsMethod, Doc: "true when the method is one of a |-separated list"},
		{Name: "starts_with", Args: []module.ArgKind{s, s}, Routes: any, Run: runStartsWith, Doc: "true when a string starts with another"},
		{Name: "cmp_str", Args: []module.ArgKind{s, s}, Routes: any, Run: runCmpStr(false), Doc: "true when two strings are equal"},
		{Name: "cmp_istr", Args: []module.ArgKind{s, s}, Routes: any, Run: runCmpStr(true), Doc: "true when two strings are equal without regard to case"},
		{Name: "append_to_reply", Args: []module.ArgKind{s}, Routes: module.RequestRoute | module.FailureRoute | module.BranchRoute | module.EventRoute, Run: runAppendToReply, Doc: "add header lines to the replies generated for this request"},
	}
}

// knownMethods are the names is_method accepts, as Kamailio's list.
var knownMethods = []string{"INVITE", "CANCEL", "ACK", "BYE", "INFO", "REGISTER", "SUBSCRIBE",
	"NOTIFY", "MESSAGE", "OPTIONS", "PRACK", "UPDATE", "REFER", "PUBLISH", "KDMQ", "GET", "POST", "PUT", "DELETE"}

func checkMethods(args []*module.Arg) error {
	a := args[0]
	if !a.Const {
		return nil
	}
	for _, name := range strings.Split(a.Str, "|") {
		ok := false
		for _, k := range knownMethods {
			ok = ok || strings.EqualFold(strings.TrimSpace(name), k)
		}
		if !ok {
			return fmt.Errorf("unknown method %q in list %q", name, a.Str)
		}
	}
	return nil
}

func checkSubst(args []*module.Arg) error {
	if a := args[0]; a.Const {
		if _, err := ParseSubst(a.Str); err != nil {
			return err
		}
	}
	return nil
}

func checkSearchHFMode(args []*module.Arg) error {
	if a := args[2]; a.Const && a.Str != "a" && a.Str != "f" && a.Str != "l" {
		return fmt.Errorf("search_hf mode %q: want a (all), f (first) or l (last)", a.Str)
	}
	return nil
}
