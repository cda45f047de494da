package registry

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"ipledger/registry/ident"
)

// BenchmarkAssetEvents records batches of 1,000 asset events through AssetEvents, the way
// registrytest.Generate loads its 200k: each batch on 500 rights registered for it (invention
// patents and marks, granted), so that rights take two events on average — transfers (with
// the pledgee's consent), lapses, overseas family members, renewals of marks and
// well-known recognitions — some of them refused (a second lapse, a renewal out of its window).
// It reports the events recorded per second of AssetEvents (registration time excluded).
func BenchmarkAssetEvents(b *testing.B) {
	f := newFixture(b)
	s, ctx := f.s, f.ctx
	var parties []uuid.UUID
	for i, region := range []string{"150502", "150521", "150522", "150523", "150524", "150525"} {
		p, _, err := s.RegisterParty(ctx, PartyInput{Name: fmt.Sprintf("bench %d", i), Kind: Enterprise, RegionCode: region})
		if err != nil {
			b.Fatal(err)
		}
		parties = append(parties, p.ID)
	}
	r := rand.New(rand.NewPCG(1, 2))
	serial := 0
	var recorded int
	var took time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		var ins []AssetInput
		for k := 0; k < 500; k++ {
			serial++
			owner := []uuid.UUID{parties[r.IntN(len(parties))]}
			if k%2 == 0 {
				filed := d("2012-01-01").AddDays(r.IntN(3000))
				ins = append(ins, AssetInput{Kind: ident.InventionPatent, Number: patentNo(filed.Year(), '1', 100000+serial), Title: "bench",
					OwnerIDs: owner, FiledOn: filed, GrantedOn: filed.AddDays(700)})
			} else {
				ins = append(ins, AssetInput{Kind: ident.Trademark, Number: fmt.Sprintf("%d", 50000000+serial), Title: "bench",
					OwnerIDs: owner, GrantedOn: d("2012-01-01").AddDays(r.IntN(3000))})
			}
		}
		res, err := s.RegisterAssets(ctx, ins)
		if err != nil {
			b.Fatal(err)
		}
		items := make([]AssetEventItem, 1000)
		for k := range items {
			j := r.IntN(len(ins))
			if res[j].Err != nil {
				b.Fatal(res[j].Err)
			}
			on := d("2021-01-01").AddDays(r.IntN(5 * 365))
			in := EventInput{EffectiveOn: on}
			switch x := r.IntN(10); {
			case ins[j].Kind == ident.Trademark && x < 3:
				in.Type, in.EffectiveOn = EventRenew, ins[j].GrantedOn.AddYears(10).AddDays(-r.IntN(300))
			case ins[j].Kind == ident.Trademark && x == 3:
				in.Type = EventWellKnown
			case ins[j].Kind == ident.InventionPatent && x < 3:
				in.Type = EventLapse
			case ins[j].Kind == ident.InventionPatent && x < 5:
				in.Type, in.Country, in.FamilyNumber, in.FamilyDate = EventForeignFamily, "US", fmt.Sprintf("US%d", serial*1000+k), on
			default:
				in.Type, in.OwnerIDs, in.PledgeeConsent = EventTransfer, []uuid.UUID{parties[r.IntN(len(parties))]}, true
			}
			if in.EffectiveOn.After(testToday) {
				in.EffectiveOn = testToday
			}
			items[k] = AssetEventItem{AssetID: res[j].ID, Event: in}
		}
		b.StartTimer()
		start := time.Now()
		out, err := s.AssetEvents(ctx, items)
		took += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range out {
			if o.Err == nil {
				recorded++
			}
		}
	}
	b.ReportMetric(float64(recorded)/took.Seconds(), "events/s")
	b.ReportMetric(float64(recorded)/float64(b.N), "recorded/op")
}
