package permissions

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/olelo-sip/olelo/db"
)

// The table versions this module reads (Kamailio 5.6's).
const (
	addressVersion = 6
	trustedVersion = 6
)

// dbTimeout bounds one load, so that a database that does not answer
// fails a reload instead of hanging the RPC.
const dbTimeout = 10 * time.Second

var errNoDB = errors.New("no database: db_url is not set")

// checkVersion compares the table's row in Kamailio's version table
// with the version this module reads. A database without a version
// table or without a row for the table is accepted (tables made by hand
// or by tools that do not keep it).
func (m *Instance) checkVersion(ctx context.Context, table string, want int64) error {
	conn := m.db()
	if conn == nil {
		return errNoDB
	}
	rows, err := conn.Query(ctx, "version", []string{"table_version"}, []db.Cond{db.Eq("table_name", table)}, "")
	if err != nil || len(rows) == 0 {
		return nil
	}
	if v := rows[0].Int(0); v != want {
		return fmt.Errorf("table %s in %s has version %d, olelo reads version %d (Kamailio 5.6's)", table, conn.URL(), v, want)
	}
	return nil
}

// loadAddresses reads the address table (or address_file) into a new
// lookup table.
func (m *Instance) loadAddresses(ctx context.Context) (*addressTable, error) {
	var rows []addrRow
	if m.AddressFile != "" {
		path := rulePath(m.configDir, m.AddressFile)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("address_file: %w", err)
		}
		if rows, err = parseAddressFile(path, data); err != nil {
			return nil, err
		}
	} else {
		conn := m.db()
		if conn == nil {
			return nil, errNoDB
		}
		if err := m.checkVersion(ctx, m.AddressTable, addressVersion); err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(ctx, dbTimeout)
		defer cancel()
		cols := []string{"id", m.GrpCol, m.IPAddrCol, m.MaskCol, m.PortCol, m.TagCol}
		res, err := conn.Query(ctx, m.AddressTable, cols, nil, "id")
		if err != nil {
			return nil, fmt.Errorf("loading the address table: %w", err)
		}
		rows = make([]addrRow, len(res))
		for i, r := range res {
			rows[i] = addrRow{
				at: "table " + m.AddressTable + " row id " + strconv.FormatInt(r.Int(0), 10),
				id: r.Int(0), group: r.Int(1), ip: r.Str(2), mask: r.Int(3), port: r.Int(4),
				tag: r.Str(5), tagNull: r.IsNull(5),
			}
			if r.IsNull(2) {
				rows[i].ip = ""
			}
		}
	}
	t, err := newAddressTable(rows)
	if err != nil {
		return nil, err
	}
	if m.MaxSubnets > 0 && len(t.subnets) > m.MaxSubnets {
		return nil, fmt.Errorf("the address table has %d subnet entries, more than max_subnets (%d)", len(t.subnets), m.MaxSubnets)
	}
	return t, nil
}

// trustedCols are the columns read from the trusted table, in the order
// trustedFromRow expects.
func (m *Instance) trustedCols() []string {
	return []string{m.SourceCol, m.ProtoCol, m.FromCol, m.RURICol, m.TagCol, m.PriorityCol}
}

func (m *Instance) trustedFromRow(at string, r db.Row) trustedRow {
	return trustedRow{
		at: at, srcIP: r.Str(0), proto: r.Str(1),
		from: r.Str(2), fromNull: r.IsNull(2),
		ruri: r.Str(3), ruriNull: r.IsNull(3),
		tag: r.Str(4), tagNull: r.IsNull(4),
		priority: r.Int(5),
	}
}

// loadTrusted reads the whole trusted table (db_mode 1).
func (m *Instance) loadTrusted(ctx context.Context) (*trustedTable, error) {
	conn := m.db()
	if conn == nil {
		return nil, errNoDB
	}
	ctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	res, err := conn.Query(ctx, m.TrustedTable, m.trustedCols(), nil, m.PriorityCol+" DESC")
	if err != nil {
		return nil, fmt.Errorf("loading the trusted table: %w", err)
	}
	rows := make([]trustedRow, len(res))
	for i, r := range res {
		rows[i] = m.trustedFromRow(fmt.Sprintf("table %s row %d", m.TrustedTable, i+1), r)
	}
	return newTrustedTable(rows)
}

// queryTrusted reads the rows of one source address (db_mode 0), highest
// priority first.
func (m *Instance) queryTrusted(ctx context.Context, src string) ([]trustedEntry, error) {
	conn := m.db()
	if conn == nil {
		return nil, errNoDB
	}
	ctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	res, err := conn.Query(ctx, m.TrustedTable, m.trustedCols(), []db.Cond{db.Eq(m.SourceCol, src)}, m.PriorityCol+" DESC")
	if err != nil {
		return nil, fmt.Errorf("querying the trusted table: %w", err)
	}
	var out []trustedEntry
	for i, r := range res {
		e, ok, err := newTrustedEntry(m.trustedFromRow(fmt.Sprintf("table %s row %d for %s", m.TrustedTable, i+1, src), r))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, e)
		}
	}
	sortByPriority(out)
	return out, nil
}
