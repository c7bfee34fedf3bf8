package sip

// Method is a SIP method olelo knows by name; any other token is
// MethodOther and is read from Message.MethodBytes. Methods are
// case-sensitive (RFC 3261 7.1): "invite" is not INVITE.
type Method uint8

// Known methods.
const (
	MethodOther Method = iota
	MethodINVITE
	MethodACK
	MethodBYE
	MethodCANCEL
	MethodREGISTER
	MethodOPTIONS
	MethodINFO
	MethodUPDATE
	MethodPRACK
	MethodSUBSCRIBE
	MethodNOTIFY
	MethodMESSAGE
	MethodREFER
	MethodPUBLISH
	methodCount
)

var methodNames = [methodCount]string{
	"", "INVITE", "ACK", "BYE", "CANCEL", "REGISTER", "OPTIONS", "INFO",
	"UPDATE", "PRACK", "SUBSCRIBE", "NOTIFY", "MESSAGE", "REFER", "PUBLISH",
}

// String returns the method name, or "" for MethodOther.
func (m Method) String() string {
	if m < methodCount {
		return methodNames[m]
	}
	return ""
}

// LookupMethod returns the Method for a method token (case-sensitive).
func LookupMethod(b []byte) Method {
	switch len(b) {
	case 3:
		if string(b) == "ACK" {
			return MethodACK
		}
		if string(b) == "BYE" {
			return MethodBYE
		}
	case 4:
		if string(b) == "INFO" {
			return MethodINFO
		}
	case 5:
		if string(b) == "PRACK" {
			return MethodPRACK
		}
		if string(b) == "REFER" {
			return MethodREFER
		}
	case 6:
		switch string(b) {
		case "INVITE":
			return MethodINVITE
		case "CANCEL":
			return MethodCANCEL
		case "UPDATE":
			return MethodUPDATE
		case "NOTIFY":
			return MethodNOTIFY
		}
	case 7:
		switch string(b) {
		case "OPTIONS":
			return MethodOPTIONS
		case "MESSAGE":
			return MethodMESSAGE
		case "PUBLISH":
			return MethodPUBLISH
		}
	case 8:
		if string(b) == "REGISTER" {
			return MethodREGISTER
		}
	case 9:
		if string(b) == "SUBSCRIBE" {
			return MethodSUBSCRIBE
		}
	}
	return MethodOther
}
