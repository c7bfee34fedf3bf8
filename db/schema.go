package db

import "sort"

// ColType is the kind of a column; each dialect maps it to its DDL type.
type ColType int

// Column kinds, after Kamailio's MySQL schema.
const (
	TInt       ColType = iota // INT
	TUInt                     // INT UNSIGNED
	TSmallUInt                // SMALLINT UNSIGNED
	TBigInt                   // BIGINT
	TFloat                    // FLOAT(10,2)
	TDouble                   // DOUBLE
	TString                   // VARCHAR(Size)
	TText                     // TEXT / MEDIUMTEXT
	TDateTime                 // DATETIME
)

// Column is one column of a Kamailio table (the "id" primary key is
// implicit: every table has it).
type Column struct {
	Name       string
	Type       ColType
	Size       int // VARCHAR length
	Null       bool
	HasDefault bool
	Default    string // as written in SQL, unquoted
}

// Index is a named index of a table.
type Index struct {
	Name    string
	Columns []string
	Unique  bool
}

// Table is a Kamailio table with the version its modules check.
type Table struct {
	Name    string
	Version int
	Columns []Column
	Indexes []Index
}

// ColumnNames returns the names of the columns, "id" first.
func (t Table) ColumnNames() []string {
	n := []string{"id"}
	for _, c := range t.Columns {
		n = append(n, c.Name)
	}
	return n
}

// Column builders, named after the MySQL declarations they stand for.
func str(name string, size int, def string) Column {
	return Column{Name: name, Type: TString, Size: size, HasDefault: true, Default: def}
}
func strNN(name string, size int) Column { return Column{Name: name, Type: TString, Size: size} }
func strNull(name string, size int) Column {
	return Column{Name: name, Type: TString, Size: size, Null: true}
}
func integer(name, def string) Column {
	return Column{Name: name, Type: TInt, HasDefault: def != "", Default: def}
}
func intNull(name string) Column { return Column{Name: name, Type: TInt, Null: true} }
func uinteger(name, def string) Column {
	return Column{Name: name, Type: TUInt, HasDefault: def != "", Default: def}
}
func datetime(name, def string) Column {
	return Column{Name: name, Type: TDateTime, HasDefault: def != "", Default: def}
}
func unique(name string, cols ...string) Index { return Index{Name: name, Columns: cols, Unique: true} }
func index(name string, cols ...string) Index  { return Index{Name: name, Columns: cols} }

// Kamailio's default timestamps.
const (
	defaultExpires  = "2030-05-28 21:32:15"
	defaultModified = "2000-01-01 00:00:01"
)

// contactColumns are the columns of location and aliases.
func contactColumns() []Column {
	return []Column{
		str("ruid", 64, ""),
		str("username", 64, ""),
		strNull("domain", 64),
		str("contact", 512, ""),
		strNull("received", 128),
		strNull("path", 512),
		datetime("expires", defaultExpires),
		{Name: "q", Type: TFloat, HasDefault: true, Default: "1.0"},
		str("callid", 255, "Default-Call-ID"),
		integer("cseq", "1"),
		datetime("last_modified", defaultModified),
		integer("flags", "0"),
		integer("cflags", "0"),
		str("user_agent", 255, ""),
		strNull("socket", 64),
		intNull("methods"),
		strNull("instance", 255),
		integer("reg_id", "0"),
		integer("server_id", "0"),
		integer("connection_id", "0"),
		integer("keepalive", "0"),
		integer("partition", "0"),
	}
}

func contactIndexes() []Index {
	return []Index{
		unique("ruid_idx", "ruid"),
		index("account_contact_idx", "username", "domain", "contact"),
		index("expires_idx", "expires"),
		index("connection_idx", "server_id", "connection_id"),
	}
}

func accColumns() []Column {
	return []Column{
		str("method", 16, ""),
		str("from_tag", 128, ""),
		str("to_tag", 128, ""),
		str("callid", 255, ""),
		str("sip_code", 3, ""),
		str("sip_reason", 128, ""),
		datetime("time", ""),
	}
}

// Tables are Kamailio 5.6's tables that olelo's modules use, with their
// column names, types, defaults, indexes and version rows.
var Tables = []Table{
	{Name: "version", Version: 1, Columns: []Column{
		strNN("table_name", 32),
		uinteger("table_version", "0"),
	}, Indexes: []Index{unique("table_name_idx", "table_name")}},
	{Name: "subscriber", Version: 7, Columns: []Column{
		str("username", 64, ""),
		str("domain", 64, ""),
		str("password", 64, ""),
		str("ha1", 128, ""),
		str("ha1b", 128, ""),
	}, Indexes: []Index{unique("account_idx", "username", "domain"), index("username_idx", "username")}},
	{Name: "location", Version: 9, Columns: contactColumns(), Indexes: contactIndexes()},
	{Name: "location_attrs", Version: 1, Columns: []Column{
		str("ruid", 64, ""),
		str("username", 64, ""),
		strNull("domain", 64),
		str("aname", 64, ""),
		integer("atype", "0"),
		str("avalue", 512, ""),
		datetime("last_modified", defaultModified),
	}, Indexes: []Index{index("account_record_idx", "username", "domain", "ruid"), index("last_modified_idx", "last_modified")}},
	{Name: "aliases", Version: 8, Columns: contactColumns(), Indexes: []Index{
		unique("ruid_idx", "ruid"),
		index("account_contact_idx", "username", "domain", "contact"),
		index("expires_idx", "expires"),
	}},
	{Name: "address", Version: 6, Columns: []Column{
		uinteger("grp", "1"),
		strNN("ip_addr", 50),
		integer("mask", "32"),
		{Name: "port", Type: TSmallUInt, HasDefault: true, Default: "0"},
		strNull("tag", 64),
	}},
	{Name: "trusted", Version: 6, Columns: []Column{
		strNN("src_ip", 50),
		strNN("proto", 4),
		strNull("from_pattern", 64),
		strNull("ruri_pattern", 64),
		strNull("tag", 64),
		integer("priority", "0"),
	}, Indexes: []Index{index("peer_idx", "src_ip")}},
	{Name: "dispatcher", Version: 4, Columns: []Column{
		integer("setid", "0"),
		str("destination", 192, ""),
		integer("flags", "0"),
		integer("priority", "0"),
		str("attrs", 128, ""),
		str("description", 64, ""),
	}},
	{Name: "dialplan", Version: 2, Columns: []Column{
		integer("dpid", ""),
		integer("pr", ""),
		integer("match_op", ""),
		strNN("match_exp", 64),
		integer("match_len", ""),
		strNN("subst_exp", 64),
		strNN("repl_exp", 256),
		strNN("attrs", 64),
	}},
	{Name: "htable", Version: 2, Columns: []Column{
		str("key_name", 256, ""),
		integer("key_type", "0"),
		integer("value_type", "0"),
		str("key_value", 512, ""),
		integer("expires", "0"),
	}},
	{Name: "acc", Version: 5, Columns: accColumns(), Indexes: []Index{index("callid_idx", "callid")}},
	{Name: "missed_calls", Version: 4, Columns: accColumns(), Indexes: []Index{index("callid_idx", "callid")}},
	{Name: "acc_cdrs", Version: 3, Columns: []Column{
		datetime("start_time", defaultModified),
		datetime("end_time", defaultModified),
		{Name: "duration", Type: TFloat, HasDefault: true, Default: "0"},
	}, Indexes: []Index{index("start_time_idx", "start_time")}},
	{Name: "uacreg", Version: 6, Columns: []Column{
		str("l_uuid", 64, ""),
		str("l_username", 64, ""),
		str("l_domain", 64, ""),
		str("r_username", 64, ""),
		str("r_domain", 64, ""),
		str("realm", 64, ""),
		str("auth_username", 64, ""),
		str("auth_password", 64, ""),
		str("auth_ha1", 128, ""),
		str("auth_proxy", 255, ""),
		integer("expires", "0"),
		integer("flags", "0"),
		integer("reg_delay", "0"),
		str("contact_addr", 255, ""),
		str("contact_user", 255, ""),
		str("socket", 128, ""),
	}, Indexes: []Index{unique("l_uuid_idx", "l_uuid")}},
	{Name: "domain", Version: 2, Columns: []Column{
		strNN("domain", 64),
		strNull("did", 64),
		datetime("last_modified", defaultModified),
	}, Indexes: []Index{unique("domain_idx", "domain")}},
	{Name: "domain_attrs", Version: 1, Columns: []Column{
		strNN("did", 64),
		strNN("name", 32),
		uinteger("type", ""),
		strNN("value", 255),
		datetime("last_modified", defaultModified),
	}, Indexes: []Index{index("domain_attrs_idx", "did", "name")}},
	{Name: "grp", Version: 2, Columns: []Column{
		str("username", 64, ""),
		str("domain", 64, ""),
		str("grp", 64, ""),
		datetime("last_modified", defaultModified),
	}, Indexes: []Index{unique("account_group_idx", "username", "domain", "grp")}},
	{Name: "rtpengine", Version: 1, Columns: []Column{
		uinteger("setid", "0"),
		strNN("url", 64),
		uinteger("weight", "1"),
		integer("disabled", "0"),
		datetime("stamp", "1900-01-01 00:00:01"),
	}, Indexes: []Index{unique("rtpengine_nodes", "setid", "url")}},
	{Name: "sip_trace", Version: 4, Columns: []Column{
		datetime("time_stamp", "2000-01-01 00:00:01"),
		uinteger("time_us", "0"),
		str("callid", 255, ""),
		str("traced_user", 255, ""),
		{Name: "msg", Type: TText},
		str("method", 50, ""),
		str("status", 255, ""),
		str("fromip", 64, ""),
		str("toip", 64, ""),
		str("fromtag", 128, ""),
		str("totag", 128, ""),
		str("direction", 4, ""),
	}, Indexes: []Index{index("traced_user_idx", "traced_user"), index("date_idx", "time_stamp"), index("fromip_idx", "fromip"), index("callid_idx", "callid")}},
	{Name: "dialog", Version: 7, Columns: []Column{
		uinteger("hash_entry", ""),
		uinteger("hash_id", ""),
		strNN("callid", 255),
		strNN("from_uri", 255),
		strNN("from_tag", 128),
		strNN("to_uri", 255),
		strNN("to_tag", 128),
		strNN("caller_cseq", 20),
		strNN("callee_cseq", 20),
		strNull("caller_route_set", 512),
		strNull("callee_route_set", 512),
		strNN("caller_contact", 255),
		strNN("callee_contact", 255),
		strNN("caller_sock", 64),
		strNN("callee_sock", 64),
		uinteger("state", ""),
		uinteger("start_time", ""),
		uinteger("timeout", "0"),
		uinteger("sflags", "0"),
		uinteger("iflags", "0"),
		strNull("toroute_name", 32),
		strNN("req_uri", 255),
		strNull("xdata", 512),
	}, Indexes: []Index{index("hash_idx", "hash_entry", "hash_id")}},
	{Name: "dialog_vars", Version: 1, Columns: []Column{
		uinteger("hash_entry", ""),
		uinteger("hash_id", ""),
		strNN("dialog_key", 128),
		strNN("dialog_value", 512),
	}, Indexes: []Index{index("hash_idx", "hash_entry", "hash_id")}},
}

// LookupTable returns the definition of a Kamailio table by name.
func LookupTable(name string) (Table, bool) {
	for _, t := range Tables {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}

// TableNames returns the names of the known tables, sorted.
func TableNames() []string {
	n := make([]string, len(Tables))
	for i, t := range Tables {
		n[i] = t.Name
	}
	sort.Strings(n)
	return n
}
