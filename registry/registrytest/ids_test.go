package registrytest

import (
	"testing"

	"ipledger/registry/ident"
)

func TestUSCC(t *testing.T) {
	for _, first17 := range []string{"91150502MA0N1P2Q3", "91150500MA0000001", "12150500000000000"} {
		code := USCC(first17)
		got, err := ident.CheckUSCC(code)
		if err != nil || got != code || code[:17] != first17 {
			t.Fatalf("USCC(%s) = %s: CheckUSCC says %q, %v", first17, code, got, err)
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("USCC of 17 characters outside the alphabet did not panic")
		}
	}()
	USCC("IIIIIIIIIIIIIIIII")
}

func TestPatentNo(t *testing.T) {
	tests := []struct {
		year   int
		typ    byte
		serial int
		kind   ident.Kind
		want   string
	}{
		// The patent every pledge test starts from: ZL2013106997442.
		{2013, '1', 699744, ident.InventionPatent, "ZL2013106997442"},
		{2015, '1', 300001, ident.InventionPatent, ""},
		{2016, '2', 7, ident.UtilityModel, ""},
		{2021, '3', 1234567, ident.DesignPatent, ""},
	}
	for _, tt := range tests {
		n := PatentNo(tt.year, tt.typ, tt.serial)
		if tt.want != "" && n != tt.want {
			t.Fatalf("PatentNo(%d, %c, %d) = %s, want %s", tt.year, tt.typ, tt.serial, n, tt.want)
		}
		if _, err := ident.Canonical(tt.kind, n); err != nil {
			t.Fatalf("PatentNo(%d, %c, %d) = %s: %v", tt.year, tt.typ, tt.serial, n, err)
		}
	}
}
