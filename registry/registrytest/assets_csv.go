package registrytest

import (
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"ipledger/registry/ident"
	"ipledger/registry/importer"
	"ipledger/registry/term"
)

// AssetsCSV writes a CSV of n distinct, valid assets of mixed kinds in the import layout, owned
// by the given parties (ids or unified social credit codes), for load tests and demos. Every
// date is on or before 2025-12-31. The same seed gives the same file.
func AssetsCSV(w io.Writer, n int, owners []string, seed uint64) error {
	if len(owners) == 0 {
		return fmt.Errorf("registrytest: assets csv: no owners")
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	cw := csv.NewWriter(w)
	if err := cw.Write(importer.Columns); err != nil {
		return err
	}
	units := []string{"150502", "150521", "150522", "150523", "150524", "150525", "150526", "150571", "150581"}
	ipcs := []string{"H01M10/0525", "G06F16/00", "A01B1/00", "C12N15/82", "B60L53/00", "A23L2/00"}
	for i := 0; i < n; i++ {
		year := 2004 + rng.IntN(21) // 2004..2024
		filed := term.New(year, 1, 1).AddDays(rng.IntN(365))
		granted := filed.AddDays(180 + rng.IntN(3*365))
		if granted.After(term.New(2025, 12, 31)) {
			granted = term.Date{}
		}
		owner := owners[rng.IntN(len(owners))]
		if rng.IntN(10) == 0 {
			owner += ";" + owners[rng.IntN(len(owners))]
			if parts := strings.Split(owner, ";"); parts[0] == parts[1] {
				owner = parts[0]
			}
		}
		region := ""
		if rng.IntN(5) == 0 {
			region = units[rng.IntN(len(units))]
		}
		var kind ident.Kind
		var number, ipc, category string
		switch r := rng.IntN(100); {
		case r < 40:
			kind, number = ident.InventionPatent, patentNumber(year, '1', i)
			ipc = ipcs[rng.IntN(len(ipcs))]
		case r < 60:
			kind, number = ident.UtilityModel, patentNumber(year, '2', i)
		case r < 70:
			kind, number = ident.DesignPatent, patentNumber(year, '3', i)
		case r < 90:
			kind, number = ident.Trademark, fmt.Sprintf("%d", 10_000_000+i)
			filed, granted = term.Date{}, filed
		case r < 95:
			kind, number = ident.SoftwareCopyright, fmt.Sprintf("%dSR%07d", year, i)
			filed, granted = term.Date{}, filed
		default:
			kind, number = ident.PlantVariety, fmt.Sprintf("%d1%06d", year, i%1_000_000)
			if rng.IntN(3) == 0 {
				category = "tree_vine"
			}
		}
		rec := []string{string(kind), number, fmt.Sprintf("%s %d", kind, i), owner, region, filed.String(), granted.String(), ipc, category}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func patentNumber(year int, typ byte, serial int) string {
	body := fmt.Sprintf("%04d%c%07d", year, typ, serial%10_000_000)
	c, _ := ident.PatentCheckChar(body)
	return "ZL" + body + "." + string(c)
}
