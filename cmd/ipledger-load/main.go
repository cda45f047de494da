// Command ipledger-load drives a running ipledger over HTTP in a closed loop (each client sends
// its next request when the previous one is answered) and prints the rate, latencies and
// errors of one scenario at each client count:
//
//	pledge  registers pledges, each over its own asset (imported beforehand, in bulk)
//	asset   registers invention patents with unique, valid numbers
//	get     reads one pledge
//
// With -ref (a reference rate, e.g. pgbench's one-row INSERTs on the same cluster) each rate is
// also printed as a ratio to it. `make bench-http` runs it beside pgbench.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/time/rate"

	"ipledger/registry/ident"
)

func main() {
	var (
		base     = flag.String("url", "http://127.0.0.1:8080", "the service")
		token    = flag.String("token", os.Getenv("IPLEDGER_TOKEN"), "an admin's bearer token (default $IPLEDGER_TOKEN)")
		scenario = flag.String("scenario", "pledge", "pledge, asset or get")
		clients  = flag.String("clients", "1,8,32", "client counts, one run each")
		duration = flag.Duration("duration", 10*time.Second, "measured time per run")
		warmup   = flag.Duration("warmup", time.Second, "unmeasured time before each run")
		ref      = flag.Float64("ref", 0, "reference rate (req/s) to print ratios against; 0: none")
		perSec   = flag.Float64("rate", 0, "requests/s across all clients, for a soak at a modest rate; 0: each client as fast as it is answered")
	)
	flag.Parse()
	if *perSec > 0 {
		pace = rate.NewLimiter(rate.Limit(*perSec), 1)
	}
	if *token == "" {
		fail(fmt.Errorf("no token: pass -token or set IPLEDGER_TOKEN"))
	}
	var counts []int
	for _, s := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fail(fmt.Errorf("-clients %q: want counts like 1,8,32", *clients))
		}
		counts = append(counts, n)
	}
	maxClients := slices.Max(counts)
	c := newClient(strings.TrimRight(*base, "/"), *token, maxClients+4)
	ctx := context.Background()
	// Assets a pledge run may use up: a generous guess of the rate times the time.
	need := int(float64(len(counts)) * (duration.Seconds() + warmup.Seconds()) * 4000)
	sc, err := setup(ctx, c, *scenario, need, maxClients)
	if err != nil {
		fail(err)
	}
	fmt.Printf("%-7s %7s %9s %9s %9s %7s %8s\n", "scenario", "clients", "req/s", "p50 ms", "p99 ms", "errors", "ratio")
	for _, n := range counts {
		r := run(ctx, sc, n, *warmup, *duration)
		ratio := "-"
		if *ref > 0 {
			ratio = fmt.Sprintf("%.3f", r.rate / *ref)
		}
		fmt.Printf("%-7s %7d %9.1f %9.2f %9.2f %7d %8s\n", *scenario, n, r.rate, ms(r.p50), ms(r.p99), r.errors, ratio)
		if r.firstErr != "" {
			fmt.Printf("        first error: %s\n", r.firstErr)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ipledger-load:", err)
	os.Exit(1)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// client sends requests with fasthttp, which writes and reads on the calling goroutine: the
// tool shares the cores with the server and Postgres, and net/http's client spends about as
// much again handing every request between goroutines (its read and write loops).
type client struct {
	base, token string
	http        *fasthttp.Client
}

func newClient(base, token string, conns int) *client {
	return &client{base: base, token: "Bearer " + token, http: &fasthttp.Client{
		MaxConnsPerHost:               conns,
		ReadTimeout:                   time.Minute,
		WriteTimeout:                  time.Minute,
		MaxIdleConnDuration:           time.Minute,
		NoDefaultUserAgentHeader:      true,
		DisableHeaderNamesNormalizing: true,
		DisablePathNormalizing:        true,
	}}
}

// do sends one request and returns the body; a non-2xx status is an error.
func (c *client) do(_ context.Context, method, path, ctype string, body []byte) ([]byte, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(c.base + path)
	req.Header.SetMethod(method)
	req.Header.Set("Authorization", c.token)
	if body != nil {
		req.Header.SetContentType(ctype)
		req.SetBodyRaw(body)
	}
	if err := c.http.Do(req, resp); err != nil {
		return nil, err
	}
	b := append([]byte(nil), resp.Body()...)
	if code := resp.StatusCode(); code/100 != 2 {
		return b, fmt.Errorf("%s %s: %d %s", method, path, code, truncate(b, 300))
	}
	return b, nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

func (c *client) postJSON(ctx context.Context, path string, v any) (map[string]any, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	b, err := c.do(ctx, http.MethodPost, path, "application/json", body)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	return out, json.Unmarshal(b, &out)
}

// scenario is what one client does once; i numbers the requests of a run, across clients.
type scenario func(ctx context.Context, i int64) error

// runID keeps numbers of different runs against one database apart.
var runID = time.Now().UnixNano()

func setup(ctx context.Context, c *client, name string, need, clients int) (scenario, error) {
	rng := rand.New(rand.NewPCG(uint64(runID), 1))
	owner, err := c.postJSON(ctx, "/v1/parties", map[string]any{
		"name": fmt.Sprintf("load owner %d", runID), "kind": "enterprise", "region_code": "150502"})
	if err != nil {
		return nil, fmt.Errorf("create owner: %w", err)
	}
	ownerID := owner["id"].(string)
	// Invention patents: the serial space of a run starts at a random offset so that runs
	// against one database do not collide; the year varies the number space further.
	serial0 := rng.IntN(5_000_000)
	year0 := 2015 + rng.IntN(4) // granted 2017+: in force past the pledges' 2030 end
	patent := func(i int) (number string, filed string, granted string) {
		year := year0 + i/4_000_000
		body := fmt.Sprintf("%04d1%07d", year, (serial0+i)%10_000_000)
		ch, _ := ident.PatentCheckChar(body)
		d := 1 + i%28
		return "ZL" + body + "." + string(ch), fmt.Sprintf("%04d-03-%02d", year, d), fmt.Sprintf("%04d-06-%02d", year+2, d)
	}
	switch name {
	case "asset":
		var next atomic.Int64
		next.Store(10_000_000) // above what a pledge setup imports
		return func(ctx context.Context, _ int64) error {
			num, filed, granted := patent(int(next.Add(1)))
			_, err := c.postJSON(ctx, "/v1/assets", map[string]any{
				"kind": "invention_patent", "number": num, "title": "load " + num,
				"owner_ids": []string{ownerID}, "filed_on": filed, "granted_on": granted})
			return err
		}, nil
	case "pledge", "get":
		bank, err := c.postJSON(ctx, "/v1/parties", map[string]any{
			"name": fmt.Sprintf("load bank %d", runID), "kind": "bank", "region_code": "150502"})
		if err != nil {
			return nil, fmt.Errorf("create bank: %w", err)
		}
		bankID := bank["id"].(string)
		if name == "get" {
			need = 1
		}
		ids, err := importAssets(ctx, c, ownerID, need, patent)
		if err != nil {
			return nil, err
		}
		pledge := func(ctx context.Context, asset string, i int64) (map[string]any, error) {
			return c.postJSON(ctx, "/v1/pledges", map[string]any{
				"pledgor_ids": []string{ownerID}, "asset_ids": []string{asset}, "pledgee_id": bankID,
				"amount": "1000000.00", "contract_no": fmt.Sprintf("LOAD-%d-%d", runID, i), "ends_on": "2030-12-31"})
		}
		if name == "get" {
			p, err := pledge(ctx, ids[0], 0)
			if err != nil {
				return nil, fmt.Errorf("register the pledge to read: %w", err)
			}
			path := "/v1/pledges/" + p["id"].(string)
			return func(ctx context.Context, _ int64) error {
				_, err := c.do(ctx, http.MethodGet, path, "", nil)
				return err
			}, nil
		}
		var next atomic.Int64
		return func(ctx context.Context, i int64) error {
			k := next.Add(1) - 1
			if int(k) >= len(ids) {
				return fmt.Errorf("out of assets (%d imported); raise the guess in setup", len(ids))
			}
			_, err := pledge(ctx, ids[k], k)
			return err
		}, nil
	}
	return nil, fmt.Errorf("-scenario %q: want pledge, asset or get", name)
}

// importAssets registers n granted invention patents through the bulk import and returns
// their ids, in no particular order.
func importAssets(ctx context.Context, c *client, owner string, n int, patent func(int) (string, string, string)) ([]string, error) {
	const chunk = 20_000
	added := 0
	for start := 0; start < n; start += chunk {
		var sb strings.Builder
		sb.WriteString("kind,number,title,owners,filed_on,granted_on\n")
		for i := start; i < min(n, start+chunk); i++ {
			num, filed, granted := patent(i)
			fmt.Fprintf(&sb, "invention_patent,%s,load %s,%s,%s,%s\n", num, num, owner, filed, granted)
		}
		b, err := c.do(ctx, http.MethodPost, "/v1/assets/import?format=csv", "text/csv", []byte(sb.String()))
		if err != nil {
			return nil, fmt.Errorf("import assets: %w", err)
		}
		var rep struct {
			Added, Failed int
			Errors        []map[string]any
		}
		if err := json.Unmarshal(b, &rep); err != nil {
			return nil, err
		}
		if rep.Failed > 0 {
			return nil, fmt.Errorf("import assets: %d rows refused, first: %v", rep.Failed, rep.Errors[0])
		}
		added += rep.Added
	}
	// The owner is this run's own, so its assets are exactly the ones imported.
	return assetIDs(ctx, c, owner, added)
}

// assetIDs lists the owner's assets until it has want ids.
func assetIDs(ctx context.Context, c *client, owner string, want int) ([]string, error) {
	var ids []string
	cursor := ""
	for len(ids) < want {
		path := "/v1/assets?limit=1000&owner_id=" + owner
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		b, err := c.do(ctx, http.MethodGet, path, "", nil)
		if err != nil {
			return nil, fmt.Errorf("list assets: %w", err)
		}
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			ids = append(ids, it.ID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(ids) < want {
		return nil, fmt.Errorf("list assets: found %d of the owner's %d assets", len(ids), want)
	}
	return ids, nil
}

type report struct {
	rate     float64
	p50, p99 time.Duration
	errors   int
	firstErr string
}

// run keeps n clients busy for warmup+d and reports on the requests that started within d.
// pace, when set (-rate), spaces requests across all clients.
var pace *rate.Limiter

func run(ctx context.Context, sc scenario, n int, warmup, d time.Duration) report {
	var (
		seq      atomic.Int64
		mu       sync.Mutex
		lat      []time.Duration
		errs     int
		firstErr string
		wg       sync.WaitGroup
	)
	start := time.Now()
	measureFrom := start.Add(warmup)
	end := measureFrom.Add(d)
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			myErrs := 0
			myFirst := ""
			for {
				if pace != nil && pace.Wait(ctx) != nil {
					break
				}
				t0 := time.Now() // after the pacing wait: latency is the service's alone
				if !t0.Before(end) {
					break
				}
				err := sc(ctx, seq.Add(1))
				el := time.Since(t0)
				if t0.Before(measureFrom) {
					continue
				}
				if err != nil {
					myErrs++
					if myFirst == "" {
						myFirst = err.Error()
					}
					continue
				}
				mine = append(mine, el)
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += myErrs
			if firstErr == "" {
				firstErr = myFirst
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	r := report{errors: errs, firstErr: firstErr, rate: float64(len(lat)) / d.Seconds()}
	if len(lat) > 0 {
		r.p50 = lat[len(lat)*50/100]
		r.p99 = lat[min(len(lat)-1, len(lat)*99/100)]
	}
	return r
}
