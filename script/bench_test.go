package script

import "testing"

// BenchmarkParseStockConfig parses the stock kamailio.cfg with every WITH_*
// feature on (the largest variant).
func BenchmarkParseStockConfig(b *testing.B) {
	src := readStock(b)
	defs := map[string]string{}
	for _, n := range withDefines(src) {
		defs[n] = ""
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := ParseBytes(stockConfig, src, Options{Defines: defs}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseStockConfigDefault parses it as shipped (no WITH_*).
func BenchmarkParseStockConfigDefault(b *testing.B) {
	src := readStock(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := ParseBytes(stockConfig, src, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
