package sip

// HeaderID identifies a header field olelo knows by name. A compact form
// (RFC 3261 7.3.3 and later RFCs) maps to the same ID as its long form, so
// "v" and "Via" are both HdrVia. Headers olelo has no ID for are HdrOther.
type HeaderID uint8

// Known header IDs. The order is not significant; it is also the index of
// Message.first, so keep hdrCount last.
const (
	HdrOther HeaderID = iota
	HdrVia
	HdrFrom
	HdrTo
	HdrCallID
	HdrCSeq
	HdrContact
	HdrMaxForwards
	HdrRoute
	HdrRecordRoute
	HdrContentLength
	HdrContentType
	HdrContentEncoding
	HdrExpires
	HdrMinExpires
	HdrAuthorization
	HdrProxyAuthorization
	HdrWWWAuthenticate
	HdrProxyAuthenticate
	HdrSupported
	HdrRequire
	HdrProxyRequire
	HdrUnsupported
	HdrAllow
	HdrAllowEvents
	HdrUserAgent
	HdrServer
	HdrEvent
	HdrPath
	HdrSubject
	HdrReferTo
	HdrReferredBy
	HdrSessionExpires
	HdrIdentity
	HdrAcceptContact
	HdrRejectContact
	HdrRequestDisposition
	HdrDate
	HdrRetryAfter
	HdrAccept
	HdrWarning
	HdrPAssertedIdentity
	HdrPPreferredIdentity
	HdrPrivacy
	HdrDiversion
	HdrRAck
	HdrRSeq
	hdrCount
)

// headerNames holds the canonical (long, as in the RFCs) name of each ID.
var headerNames = [hdrCount]string{
	HdrOther:              "",
	HdrVia:                "Via",
	HdrFrom:               "From",
	HdrTo:                 "To",
	HdrCallID:             "Call-ID",
	HdrCSeq:               "CSeq",
	HdrContact:            "Contact",
	HdrMaxForwards:        "Max-Forwards",
	HdrRoute:              "Route",
	HdrRecordRoute:        "Record-Route",
	HdrContentLength:      "Content-Length",
	HdrContentType:        "Content-Type",
	HdrContentEncoding:    "Content-Encoding",
	HdrExpires:            "Expires",
	HdrMinExpires:         "Min-Expires",
	HdrAuthorization:      "Authorization",
	HdrProxyAuthorization: "Proxy-Authorization",
	HdrWWWAuthenticate:    "WWW-Authenticate",
	HdrProxyAuthenticate:  "Proxy-Authenticate",
	HdrSupported:          "Supported",
	HdrRequire:            "Require",
	HdrProxyRequire:       "Proxy-Require",
	HdrUnsupported:        "Unsupported",
	HdrAllow:              "Allow",
	HdrAllowEvents:        "Allow-Events",
	HdrUserAgent:          "User-Agent",
	HdrServer:             "Server",
	HdrEvent:              "Event",
	HdrPath:               "Path",
	HdrSubject:            "Subject",
	HdrReferTo:            "Refer-To",
	HdrReferredBy:         "Referred-By",
	HdrSessionExpires:     "Session-Expires",
	HdrIdentity:           "Identity",
	HdrAcceptContact:      "Accept-Contact",
	HdrRejectContact:      "Reject-Contact",
	HdrRequestDisposition: "Request-Disposition",
	HdrDate:               "Date",
	HdrRetryAfter:         "Retry-After",
	HdrAccept:             "Accept",
	HdrWarning:            "Warning",
	HdrPAssertedIdentity:  "P-Asserted-Identity",
	HdrPPreferredIdentity: "P-Preferred-Identity",
	HdrPrivacy:            "Privacy",
	HdrDiversion:          "Diversion",
	HdrRAck:               "RAck",
	HdrRSeq:               "RSeq",
}

// compactForms maps a one-letter compact header name (lower case) to its ID
// (RFC 3261 7.3.3, RFC 3515, RFC 3892, RFC 3841, RFC 4028, RFC 4474, RFC 6665).
var compactForms = [26]HeaderID{
	'a' - 'a': HdrAcceptContact,
	'b' - 'a': HdrReferredBy,
	'c' - 'a': HdrContentType,
	'd' - 'a': HdrRequestDisposition,
	'e' - 'a': HdrContentEncoding,
	'f' - 'a': HdrFrom,
	'i' - 'a': HdrCallID,
	'j' - 'a': HdrRejectContact,
	'k' - 'a': HdrSupported,
	'l' - 'a': HdrContentLength,
	'm' - 'a': HdrContact,
	'o' - 'a': HdrEvent,
	'r' - 'a': HdrReferTo,
	's' - 'a': HdrSubject,
	't' - 'a': HdrTo,
	'u' - 'a': HdrAllowEvents,
	'v' - 'a': HdrVia,
	'x' - 'a': HdrSessionExpires,
	'y' - 'a': HdrIdentity,
}

// String returns the canonical long name of the header, or "" for HdrOther.
func (id HeaderID) String() string {
	if id < hdrCount {
		return headerNames[id]
	}
	return ""
}

// IsList reports whether values of the header are comma-separated lists
// that may be split into several header lines and joined again
// (RFC 3261 7.3.1). Authorization-type headers contain commas but are not
// lists.
func (id HeaderID) IsList() bool {
	switch id {
	case HdrVia, HdrContact, HdrRoute, HdrRecordRoute, HdrSupported, HdrRequire,
		HdrProxyRequire, HdrUnsupported, HdrAllow, HdrAllowEvents, HdrPath,
		HdrAccept, HdrContentEncoding, HdrWarning, HdrPAssertedIdentity,
		HdrPPreferredIdentity, HdrAcceptContact, HdrRejectContact,
		HdrRequestDisposition, HdrDiversion, HdrPrivacy:
		return true
	}
	return false
}

// LookupHeader returns the ID of a header name, matching long names without
// regard to case and one-letter compact forms. Unknown names give HdrOther.
func LookupHeader(name []byte) HeaderID {
	if len(name) == 1 {
		c := lower(name[0])
		if 'a' <= c && c <= 'z' {
			return compactForms[c-'a']
		}
		return HdrOther
	}
	// A switch on length and first letter keeps this to one or two
	// comparisons per header; it runs for every header line received.
	switch len(name) {
	case 2:
		if equalFold(name, "To") {
			return HdrTo
		}
	case 3:
		if equalFold(name, "Via") {
			return HdrVia
		}
	case 4:
		switch lower(name[0]) {
		case 'f':
			if equalFold(name, "From") {
				return HdrFrom
			}
		case 'c':
			if equalFold(name, "CSeq") {
				return HdrCSeq
			}
		case 'p':
			if equalFold(name, "Path") {
				return HdrPath
			}
		case 'd':
			if equalFold(name, "Date") {
				return HdrDate
			}
		case 'r':
			if equalFold(name, "RAck") {
				return HdrRAck
			}
			if equalFold(name, "RSeq") {
				return HdrRSeq
			}
		}
	case 5:
		switch lower(name[0]) {
		case 'r':
			if equalFold(name, "Route") {
				return HdrRoute
			}
		case 'a':
			if equalFold(name, "Allow") {
				return HdrAllow
			}
		case 'e':
			if equalFold(name, "Event") {
				return HdrEvent
			}
		}
	case 6:
		switch lower(name[0]) {
		case 's':
			if equalFold(name, "Server") {
				return HdrServer
			}
		case 'a':
			if equalFold(name, "Accept") {
				return HdrAccept
			}
		}
	case 7:
		switch lower(name[0]) {
		case 'c':
			if equalFold(name, "Call-ID") {
				return HdrCallID
			}
			if equalFold(name, "Contact") {
				return HdrContact
			}
		case 'e':
			if equalFold(name, "Expires") {
				return HdrExpires
			}
		case 'r':
			if equalFold(name, "Require") {
				return HdrRequire
			}
		case 's':
			if equalFold(name, "Subject") {
				return HdrSubject
			}
		case 'w':
			if equalFold(name, "Warning") {
				return HdrWarning
			}
		case 'p':
			if equalFold(name, "Privacy") {
				return HdrPrivacy
			}
		}
	case 8:
		switch lower(name[0]) {
		case 'r':
			if equalFold(name, "Refer-To") {
				return HdrReferTo
			}
		case 'i':
			if equalFold(name, "Identity") {
				return HdrIdentity
			}
		}
	case 9:
		if equalFold(name, "Supported") {
			return HdrSupported
		}
		if equalFold(name, "Diversion") {
			return HdrDiversion
		}
	case 10:
		if equalFold(name, "User-Agent") {
			return HdrUserAgent
		}
	case 11:
		if equalFold(name, "Min-Expires") {
			return HdrMinExpires
		}
		if equalFold(name, "Unsupported") {
			return HdrUnsupported
		}
		if equalFold(name, "Referred-By") {
			return HdrReferredBy
		}
		if equalFold(name, "Retry-After") {
			return HdrRetryAfter
		}
	case 12:
		switch lower(name[0]) {
		case 'm':
			if equalFold(name, "Max-Forwards") {
				return HdrMaxForwards
			}
		case 'r':
			if equalFold(name, "Record-Route") {
				return HdrRecordRoute
			}
		case 'c':
			if equalFold(name, "Content-Type") {
				return HdrContentType
			}
		case 'a':
			if equalFold(name, "Allow-Events") {
				return HdrAllowEvents
			}
		}
	case 13:
		if equalFold(name, "Authorization") {
			return HdrAuthorization
		}
		if equalFold(name, "Proxy-Require") {
			return HdrProxyRequire
		}
	case 14:
		if equalFold(name, "Content-Length") {
			return HdrContentLength
		}
		if equalFold(name, "Accept-Contact") {
			return HdrAcceptContact
		}
		if equalFold(name, "Reject-Contact") {
			return HdrRejectContact
		}
	case 15:
		if equalFold(name, "Session-Expires") {
			return HdrSessionExpires
		}
	case 16:
		if equalFold(name, "WWW-Authenticate") {
			return HdrWWWAuthenticate
		}
		if equalFold(name, "Content-Encoding") {
			return HdrContentEncoding
		}
	case 18:
		if equalFold(name, "Proxy-Authenticate") {
			return HdrProxyAuthenticate
		}
	case 19:
		if equalFold(name, "Proxy-Authorization") {
			return HdrProxyAuthorization
		}
		if equalFold(name, "Request-Disposition") {
			return HdrRequestDisposition
		}
		if equalFold(name, "P-Asserted-Identity") {
			return HdrPAssertedIdentity
		}
	case 20:
		if equalFold(name, "P-Preferred-Identity") {
			return HdrPPreferredIdentity
		}
	}
	return HdrOther
}
