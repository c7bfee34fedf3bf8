package textopsx

import (
	"bytes"
	"log/slog"
	"strconv"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/textops"
)

func logger(c *module.Ctx) *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}

// runApplyChanges: 1 when applied (or nothing to apply); when the edited
// message does not parse, the script stops (0), as in Kamailio.
func runApplyChanges(c *module.Ctx, _ []*module.Arg) int {
	if err := textops.ApplyChanges(c); err != nil {
		logger(c).Error("msg_apply_changes: the edited message does not parse", "err", err)
		return 0
	}
	return 1
}

// runRemoveBody: 1 when a body was removed, -1 when there was none.
func runRemoveBody(c *module.Ctx, _ []*module.Arg) int {
	if len(c.Msg.Body()) == 0 {
		return -1
	}
	if err := textops.SetBody(c, nil, ""); err != nil {
		logger(c).Error("remove_body", "err", err)
		return -1
	}
	return 1
}

// runChangeReplyStatus rewrites the status line of a reply; the new code
// must be of the same class as the old one.
func runChangeReplyStatus(c *module.Ctx, args []*module.Arg) int {
	if c.Msg.IsRequest() {
		return -1
	}
	code, err := args[0].GetInt(c)
	if err != nil {
		return -1
	}
	reason, err := args[1].GetStr(c)
	if err != nil {
		return -1
	}
	old := c.Msg.StatusCode()
	if code < 100 || code > 699 || int(code)/100 != old/100 {
		logger(c).Error("change_reply_status: the new code must be of the same class", "old", old, "new", code)
		return -1
	}
	msg := c.Msg.AppendTo(nil)
	eol := bytes.IndexByte(msg, '\n')
	if eol < 0 {
		return -1
	}
	out := append([]byte("SIP/2.0 "), strconv.FormatInt(code, 10)...)
	out = append(out, ' ')
	out = append(out, reason...)
	out = append(out, "\r\n"...)
	out = append(out, msg[eol+1:]...)
	if err := textops.Replace(c, out); err != nil {
		logger(c).Error("change_reply_status", "err", err)
		return -1
	}
	return 1
}
