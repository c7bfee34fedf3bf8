package pv

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/olelo-sip/olelo/module"
)

// msgTimeKey keys, in Ctx.Store, the time the message was first asked
// for it: $Ts, $Tf, $TV(s), $TV(u) and $time(...) are cached per message
// in Kamailio, so that a script sees one consistent time.
type msgTimeKey struct{}

var now = time.Now

// bootTime is $Tb.
var bootTime = time.Now()

func msgTime(c *module.Ctx) time.Time {
	if c == nil {
		return now()
	}
	if t, ok := c.Store[msgTimeKey{}].(time.Time); ok {
		return t
	}
	t := now()
	if c.Store == nil {
		c.Store = map[any]any{}
	}
	c.Store[msgTimeKey{}] = t
	return t
}

// ctime formats t as C's ctime does, without the newline.
func ctime(t time.Time) string { return t.Format("Mon Jan _2 15:04:05 2006") }

func brokenDown(utc bool) map[string]getter {
	get := func(f func(t time.Time) int) getter {
		return func(c *module.Ctx) (module.Value, error) {
			t := msgTime(c)
			if utc {
				t = t.UTC()
			} else {
				t = t.Local()
			}
			return intVal(int64(f(t)))
		}
	}
	return map[string]getter{
		"sec":  get(func(t time.Time) int { return t.Second() }),
		"min":  get(func(t time.Time) int { return t.Minute() }),
		"hour": get(func(t time.Time) int { return t.Hour() }),
		"mday": get(func(t time.Time) int { return t.Day() }),
		"mon":  get(func(t time.Time) int { return int(t.Month()) }),
		"year": get(func(t time.Time) int { return t.Year() }),
		"wday": get(func(t time.Time) int { return int(t.Weekday()) + 1 }),
		"yday": get(func(t time.Time) int { return t.YearDay() }),
		"isdst": get(func(t time.Time) int {
			if t.IsDST() {
				return 1
			}
			return 0
		}),
	}
}

func init() {
	noArg("Ts", "unix time, cached per message", func(c *module.Ctx) (module.Value, error) {
		return intVal(msgTime(c).Unix())
	})
	noArg("TS", "unix time, now", func(*module.Ctx) (module.Value, error) { return intVal(now().Unix()) })
	noArg("Tf", "time as ctime text, cached per message", func(c *module.Ctx) (module.Value, error) {
		return strVal(ctime(msgTime(c).Local()))
	})
	noArg("TF", "time as ctime text, now", func(*module.Ctx) (module.Value, error) {
		return strVal(ctime(now().Local()))
	})
	noArg("Tb", "unix time the server started", func(*module.Ctx) (module.Value, error) {
		return intVal(bootTime.Unix())
	})
	keyed("TV", "time of day: s, u (cached per message), sn, un (now), Sn (\"sec.usec\", now)", map[string]getter{
		"s":  func(c *module.Ctx) (module.Value, error) { return intVal(msgTime(c).Unix()) },
		"u":  func(c *module.Ctx) (module.Value, error) { return intVal(int64(msgTime(c).Nanosecond() / 1000)) },
		"sn": func(*module.Ctx) (module.Value, error) { return intVal(now().Unix()) },
		"un": func(*module.Ctx) (module.Value, error) { return intVal(int64(now().Nanosecond() / 1000)) },
		"Sn": func(*module.Ctx) (module.Value, error) {
			t := now()
			return strVal(fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000))
		},
	})
	keyed("time", "local time: sec, min, hour, mday, mon (1-12), year, wday (1-7, Sunday 1), yday, isdst", brokenDown(false))
	keyed("utime", "UTC time, as $time", brokenDown(true))
	withArg("timef", "local time formatted with strftime", func(arg string) (module.PV, error) {
		return &roPV{get: func(c *module.Ctx) (module.Value, error) {
			return strVal(strftime(msgTime(c).Local(), arg))
		}}, nil
	})
	withArg("utimef", "UTC time formatted with strftime", func(arg string) (module.PV, error) {
		return &roPV{get: func(c *module.Ctx) (module.Value, error) {
			return strVal(strftime(msgTime(c).UTC(), arg))
		}}, nil
	})
}

// strftime formats t with the C strftime conversions scripts use. An
// unknown conversion is copied as written.
func strftime(t time.Time, f string) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'Y':
			b.WriteString(strconv.Itoa(t.Year()))
		case 'y':
			fmt.Fprintf(&b, "%02d", t.Year()%100)
		case 'C':
			fmt.Fprintf(&b, "%02d", t.Year()/100)
		case 'm':
			fmt.Fprintf(&b, "%02d", int(t.Month()))
		case 'd':
			fmt.Fprintf(&b, "%02d", t.Day())
		case 'e':
			fmt.Fprintf(&b, "%2d", t.Day())
		case 'H':
			fmt.Fprintf(&b, "%02d", t.Hour())
		case 'I':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			fmt.Fprintf(&b, "%02d", h)
		case 'M':
			fmt.Fprintf(&b, "%02d", t.Minute())
		case 'S':
			fmt.Fprintf(&b, "%02d", t.Second())
		case 'p':
			b.WriteString(t.Format("PM"))
		case 'j':
			fmt.Fprintf(&b, "%03d", t.YearDay())
		case 'a':
			b.WriteString(t.Format("Mon"))
		case 'A':
			b.WriteString(t.Format("Monday"))
		case 'b', 'h':
			b.WriteString(t.Format("Jan"))
		case 'B':
			b.WriteString(t.Format("January"))
		case 'u':
			wd := int(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			b.WriteString(strconv.Itoa(wd))
		case 'w':
			b.WriteString(strconv.Itoa(int(t.Weekday())))
		case 'Z':
			b.WriteString(t.Format("MST"))
		case 'z':
			b.WriteString(t.Format("-0700"))
		case 's':
			b.WriteString(strconv.FormatInt(t.Unix(), 10))
		case 'T':
			b.WriteString(t.Format("15:04:05"))
		case 'R':
			b.WriteString(t.Format("15:04"))
		case 'D':
			b.WriteString(t.Format("01/02/06"))
		case 'F':
			b.WriteString(t.Format("2006-01-02"))
		case 'c':
			b.WriteString(ctime(t))
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(f[i])
		}
	}
	return b.String()
}
