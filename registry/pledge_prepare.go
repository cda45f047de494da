package registry

import (
	"context"
	"reflect"

	"ipledger/ledger"
)

// PledgeBatch is a batch of pledge registrations made ready for its ledger write
// (PreparePledges): the inputs checked as far as they can be without the write, each new
// pledge's id given, and its registration's payload made ahead in the ledger's canonical form —
// what the write would otherwise marshal and canonicalise on the ledger's one committer. A
// payload follows from the input alone but for its region (the first pledgor's unit), made with
// the pledgor's region as read then. The write checks every registration again and uses a
// payload made ahead only where the payload it checked is that very payload.
type PledgeBatch struct {
	base     []pledgeOutcome
	payloads []*pledgePayload // by input, with its id; nil where base holds the refusal
	made     []*madePledge    // by input; nil where nothing was made ahead (all of it: nil)
}

// madePledge is a registration's payload made ahead, and its canonical form.
type madePledge struct {
	p     pledgePayload
	canon ledger.Canonical
}

// holds says whether the payload checked in the write is the one made ahead.
func (m *madePledge) holds(p *pledgePayload) bool { return reflect.DeepEqual(&m.p, p) }

// PreparePledges checks a batch of registrations as far as it can without the write and makes
// their payloads ahead (PledgeBatch). It reads the first pledgors' regions, outside any write:
// the write checks what was made with them again.
func (s *Service) PreparePledges(ctx context.Context, ins []PledgeInput) (*PledgeBatch, error) {
	b := s.preparePledges(ins)
	b.made = make([]*madePledge, len(ins))
	var pledgors []string
	for _, p := range b.payloads {
		if p != nil {
			pledgors = append(pledgors, p.PledgorIDs[0].String())
		}
	}
	regions, err := partyRegions(ctx, s.db, pledgors)
	if err != nil {
		return nil, err
	}
	for i, p := range b.payloads {
		if p == nil {
			continue
		}
		r, ok := regions[p.PledgorIDs[0]]
		if !ok {
			continue // refused in the write (pledgor_unknown), unless the party is there by then
		}
		m := &madePledge{p: *p}
		m.p.RegionCode = r // as the write's check fills it in
		if m.canon, err = ledger.CanonicalPayload(&m.p); err != nil {
			return nil, err
		}
		b.made[i] = m
	}
	return b, nil
}

// preparePledges checks the inputs without the database and gives each new pledge its id: a
// batch with nothing made ahead.
func (s *Service) preparePledges(ins []PledgeInput) *PledgeBatch {
	today := s.Today()
	b := &PledgeBatch{base: make([]pledgeOutcome, len(ins)), payloads: make([]*pledgePayload, len(ins))}
	for i, in := range ins {
		p, err := preparePledge(in, today)
		if err != nil {
			b.base[i].Err = asDomain(err)
			continue
		}
		p.ID = newID()
		b.payloads[i] = p
	}
	return b
}

// RegisterPreparedPledges is RegisterPledges of a batch made ready by PreparePledges.
func (s *Service) RegisterPreparedPledges(ctx context.Context, b *PledgeBatch) ([]BatchResult, error) {
	return batchResults(s.writePledges(ctx, b))
}
