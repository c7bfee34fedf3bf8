package permissions

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// A rule file (hosts.allow style) holds one rule per line:
//
//	from_list [EXCEPT from_list] : req_uri_list [EXCEPT req_uri_list]
//
// A list is ALL or comma-separated regular expressions (POSIX extended,
// case-insensitive, matching anywhere in the string unless anchored),
// each usually in double quotes; '#' outside quotes starts a comment.
// The same format serves allow_routing (From URI : Request-URI),
// allow_register (To URI : Contact URI) and allow_uri (From URI : URI).

// exprList is a list of expressions; nil in the left or right position of
// a rule means ALL.
type exprList []*regexp.Regexp

func (l exprList) matches(s string) bool {
	for _, re := range l {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// rule is one line of a rule file.
type rule struct {
	left, leftExcept, right, rightExcept exprList
	line                                 int
}

func (r *rule) matches(left, right string) bool {
	return (r.left == nil || r.left.matches(left)) && !r.leftExcept.matches(left) &&
		(r.right == nil || r.right.matches(right)) && !r.rightExcept.matches(right)
}

// ruleList is a parsed file; empty when the file is missing or has no
// rules.
type ruleList []rule

func (l ruleList) matches(left, right string) bool {
	for i := range l {
		if l[i].matches(left, right) {
			return true
		}
	}
	return false
}

// ruleSet is an allow file and a deny file used together.
type ruleSet struct {
	allowPath, denyPath string
	allow, deny         ruleList
}

// empty reports that neither file has a rule: everything is allowed
// without looking at the message.
func (s *ruleSet) empty() bool { return len(s.allow) == 0 && len(s.deny) == 0 }

// check applies the usual order to one pair: a match in the allow file
// allows, else a match in the deny file denies, else it is allowed.
func (s *ruleSet) check(left, right string) bool {
	if s.allow.matches(left, right) {
		return true
	}
	return !s.deny.matches(left, right)
}

// parseRules parses the text of a rule file. Unlike Kamailio, which logs
// a line it cannot parse and goes on without it, a bad line is an error
// naming name:line: a skipped deny rule silently allows what it was
// written to refuse.
func parseRules(name string, data []byte) (ruleList, error) {
	var rules ruleList
	for n, line := range strings.Split(string(data), "\n") {
		r, ok, err := parseRuleLine(strings.TrimSuffix(line, "\r"))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n+1, err)
		}
		if ok {
			r.line = n + 1
			rules = append(rules, r)
		}
	}
	return rules, nil
}

// parseRuleLine parses one line; ok is false for a blank or comment
// line.
func parseRuleLine(line string) (r rule, ok bool, err error) {
	quoted, colon, end, content := false, -1, len(line), false
scan:
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '"':
			quoted = !quoted
			content = true
		case ':':
			if !quoted {
				colon = i
			}
			content = true
		case '#':
			if !quoted {
				end = i
				break scan
			}
			content = true
		case ' ', '\t':
		default:
			content = true
		}
	}
	if !content {
		return rule{}, false, nil
	}
	if colon <= 0 || strings.TrimSpace(line[colon+1:end]) == "" {
		return rule{}, false, errors.New(`want "from_list [EXCEPT from_list] : uri_list [EXCEPT uri_list]"`)
	}
	if r.left, r.leftExcept, err = parseSide(line[:colon]); err != nil {
		return rule{}, false, fmt.Errorf("left of ':': %w", err)
	}
	if r.right, r.rightExcept, err = parseSide(line[colon+1 : end]); err != nil {
		return rule{}, false, fmt.Errorf("right of ':': %w", err)
	}
	return r, true, nil
}

// parseSide parses "list [EXCEPT list]". The main list may be ALL (nil);
// the exception list is always expressions, as in Kamailio.
func parseSide(s string) (main, except exprList, err error) {
	if i := strings.Index(s, " EXCEPT "); i >= 0 {
		if except, err = parseList(s[i+len(" EXCEPT "):]); err != nil {
			return nil, nil, fmt.Errorf("EXCEPT list: %w", err)
		}
		s = s[:i]
	}
	if strings.TrimSpace(s) == "ALL" {
		return nil, except, nil
	}
	main, err = parseList(s)
	return main, except, err
}

// parseList parses comma-separated expressions; commas inside double
// quotes belong to the expression.
func parseList(s string) (exprList, error) {
	var out exprList
	quoted, start := false, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			if s[i] == '"' {
				quoted = !quoted
			}
			if s[i] != ',' || quoted {
				continue
			}
		}
		e := strings.Trim(s[start:i], " \t")
		e = strings.TrimPrefix(e, `"`)
		e = strings.TrimSuffix(e, `"`)
		if e == "" {
			return nil, fmt.Errorf("empty expression in %q", strings.TrimSpace(s))
		}
		re, err := regexp.Compile("(?i)" + e)
		if err != nil {
			return nil, fmt.Errorf("bad regular expression %q: %w", e, err)
		}
		out = append(out, re)
		start = i + 1
	}
	return out, nil
}

// readRules reads and parses a rule file; a missing file is an empty
// rule list, as in Kamailio (the defaults usually do not exist).
func readRules(path string) (ruleList, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading rule file: %w", err)
	}
	return parseRules(path, data)
}

// rulePath resolves a rule file name as Kamailio does: a name with a '/'
// is used as written; a bare name is in the directory of the config file
// (the working directory when the config file is not known).
func rulePath(configDir, name string) string {
	if strings.Contains(name, "/") || configDir == "" {
		return name
	}
	return filepath.Join(configDir, name)
}
