package handlers

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"warrantydesk/models"
)

// xssPayload is one hostile mail body. Its script sets window.__xss_N (and
// top.__xss_N where it may) or opens a dialog. auto says the payload fires
// by itself in an unprotected page, which the control run proves; the
// others need a click, an old browser or a navigation, and are checked by
// what is left of them in the formatted view instead.
type xssPayload struct {
	html string
	auto bool
}

// xssFlag is the script every payload runs: it marks its own window and,
// when same-origin, the top page.
func xssFlag(n int) string {
	return fmt.Sprintf("window.__xss_%d=1;try{top.__xss_%d=1}catch(e){}", n, n)
}

// xssCorpus returns the payloads, numbered from 0.
func xssCorpus() []xssPayload {
	type p = xssPayload
	tmpl := []p{
		{`<script>FLAG</script>`, true},
		{`<script src="data:text/javascript,FLAG"></script>`, true},
		{`<img src=x onerror="FLAG">`, true},
		{`<svg onload="FLAG"></svg>`, true},
		{`<svg><script>FLAG</script></svg>`, true},
		{`<iframe srcdoc="&lt;script&gt;FLAG&lt;/script&gt;"></iframe>`, true},
		{`<iframe src="javascript:FLAG"></iframe>`, true},
		{`<object data="javascript:FLAG"></object>`, false},
		{`<embed src="javascript:FLAG">`, false},
		{`<a href="javascript:FLAG">klicka</a>`, false},
		{`<a href="JaVaScRiPt:FLAG">klicka</a>`, false},
		{`<a href="&#106;avascript:FLAG">klicka</a>`, false},
		{`<a href="java&#x09;script:FLAG">klicka</a>`, false},
		{`<a href=" &#14; javascript:FLAG">klicka</a>`, false},
		{`<a href="vbscript:msgbox(1)">klicka</a>`, false},
		{`<a href="data:text/html,&lt;script&gt;FLAG&lt;/script&gt;">klicka</a>`, false},
		{`<form><button formaction="javascript:FLAG">skicka</button></form>`, false},
		{`<form action="javascript:FLAG"><input type=submit></form>`, false},
		{`<input autofocus onfocus="FLAG">`, false},
		{`<details open ontoggle="FLAG"><summary>x</summary>y</details>`, true},
		{`<video><source onerror="FLAG"></video>`, true},
		{`<audio src=x onerror="FLAG"></audio>`, true},
		{`<image src=x onerror="FLAG">`, true},
		{`<svg><animate onbegin="FLAG" attributeName=x dur=1s></svg>`, true},
		{`<svg><foreignObject><img src=x onerror="FLAG"></foreignObject></svg>`, true},
		{`<svg><style><img src=x onerror="FLAG"></style></svg>`, true},
		{`<svg><a xlink:href="javascript:FLAG"><text y=20>x</text></a></svg>`, false},
		{`<math><mtext><table><mglyph><style><img src=x onerror="FLAG"></style></mglyph></table></mtext></math>`, false},
		{`<math href="javascript:FLAG">x</math>`, false},
		{`<noscript><p title="</noscript><img src=x onerror=FLAG>"></noscript>`, true},
		{`<div style="background:url(javascript:FLAG)">x</div>`, false},
		{`<div style="width:expression(FLAG)">x</div>`, false},
		{`<style>@import 'javascript:FLAG';</style>`, false},
		{`<meta http-equiv="refresh" content="0;url=javascript:FLAG">`, false},
		{`<base href="javascript:FLAG//"><a href="x">x</a>`, false},
		{`<link rel=stylesheet href="javascript:FLAG">`, false},
		{`<table background="javascript:FLAG"><tr><td>x</td></tr></table>`, false},
		{`<img """><script>FLAG</script>">`, true},
		{`<<script>FLAG//<</script>`, true},
		{`<scr<script>ipt>FLAG</scr</script>ipt>`, false}, // evades naive strippers; inert as parsed
		{`<img src=x onerror="&#119;indow.__xss_N=1;try{top.__xss_N=1}catch(e){}">`, true},
		{`<img src=x:alert(alt) onerror=eval(src) alt=0>`, true},
		{`<svg/onload=alert(1)>`, true},
		{`<div onmouseover="FLAG" style="position:fixed;inset:0">x</div>`, false},
		{`<p>Hej</p><!--<img src=x onerror="FLAG">--><img src=x onerror="FLAG">`, true},
		{`<textarea><img src=x onerror="FLAG"></textarea><img src=y onerror="FLAG">`, true},
		{`<title><img src=x onerror="FLAG"></title><img src=y onerror="FLAG">`, true},
		{`<object data="data:text/html;base64,OBJ"></object>`, false},
		{`<iframe src="data:text/html,&lt;script&gt;FLAG&lt;/script&gt;"></iframe>`, false},
		{`<select autofocus onfocus="FLAG"><option>x</option></select>`, false},
		{`<body onload="FLAG">`, false},
	}
	out := make([]xssPayload, len(tmpl))
	for i, t := range tmpl {
		h := strings.ReplaceAll(t.html, "FLAG", xssFlag(i))
		h = strings.ReplaceAll(h, "__xss_N", "__xss_"+strconv.Itoa(i))
		h = strings.ReplaceAll(h, "OBJ", base64.StdEncoding.EncodeToString([]byte("<script>"+xssFlag(i)+"</script>")))
		out[i] = xssPayload{html: h, auto: t.auto}
	}
	return out
}

// xssBrowser starts a headless Chromium that counts and dismisses dialogs.
func xssBrowser(t *testing.T) (context.Context, *atomic.Int32, func(context.Context)) {
	t.Helper()
	ctx := chromiumContext(t, 4*time.Minute, 1280, 900)
	var dialogs atomic.Int32
	listen := func(c context.Context) {
		err := chromedp.Listen(c, func(ev any) {
			if _, ok := ev.(*cdppage.EventJavascriptDialogOpening); ok {
				dialogs.Add(1)
				go func() { // not from the listener: it must not send commands
					_, _ = chromedp.Call(c, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{})
				}()
			}
		})
		if err != nil {
			t.Fatalf("listen for dialogs: %v", err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	listen(ctx)
	return ctx, &dialogs, listen
}

// TestBrowserXSSCorpus stores each payload of xssCorpus as the HTML of a mail
// and opens the ticket page's formatted views in Chromium: no flag may be set
// and no dialog open, in the page or in any frame, and nothing that could
// run on a click (javascript:/vbscript:/data: URLs, handlers, forms, frames)
// may be left in the frame's document. A control run first shows that every
// "auto" payload does fire in an unprotected page, so a quiet result means
// the defences worked, not that the payload was broken.
func TestBrowserXSSCorpus(t *testing.T) {
	corpus := xssCorpus()
	ctx, dialogs, listen := xssBrowser(t)

	// Control: each payload alone in a page with no policy at all.
	raw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if err != nil || n < 0 || n >= len(corpus) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><html><head><title>control</title></head><body>"+corpus[n].html+"</body></html>")
	}))
	defer raw.Close()
	auto := 0
	for n, p := range corpus {
		if !p.auto {
			continue
		}
		auto++
		before := dialogs.Load()
		if err := chromedp.Do(ctx, chromedp.Navigate(raw.URL+"/"+strconv.Itoa(n))); err != nil {
			t.Fatalf("control %d: %v", n, err)
		}
		fired := false
		for deadline := time.Now().Add(3 * time.Second); !fired && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			got, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf("window.__xss_%d === 1", n)))
			fired = (err == nil && got) || dialogs.Load() > before
		}
		if !fired {
			t.Errorf("control: payload %d does not fire even unprotected, so it proves nothing: %s", n, p.html)
		}
	}
	t.Logf("XSS corpus: %d payloads, %d of them shown to fire unprotected", len(corpus), auto)

	// The desk: the payloads as mails, ten to a ticket.
	en := newEnv(t)
	type stored struct {
		n      int
		ticket int64
		msg    uint
	}
	var all []stored
	tickets := map[int64][]stored{}
	var order []int64
	for n, p := range corpus {
		if n%10 == 0 {
			tk := en.seedTicket("Formaterade mejl "+strconv.Itoa(n/10), models.StatusNew, models.CategoryOther, "eva@corp.test", "Hej", nil)
			order = append(order, tk.Number)
		}
		number := order[len(order)-1]
		tk, err := en.store.TicketByNumber(context.Background(), number)
		if err != nil {
			t.Fatal(err)
		}
		m := en.seedMail(tk, "payload "+strconv.Itoa(n), p.html)
		s := stored{n: n, ticket: number, msg: m.ID}
		all = append(all, s)
		tickets[number] = append(tickets[number], s)
	}

	login(t, ctx, en)
	dialogs.Store(0)
	for _, number := range order {
		if err := chromedp.Do(ctx,
			chromedp.Navigate(en.srv.URL+ticketURL(number)),
			chromedp.WaitVisible(chromedp.CSS(`.msg-html summary`)),
		); err != nil {
			t.Fatalf("open ticket %d: %v", number, err)
		}
		// Open every formatted view and load it now, not when scrolled to.
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(() => {
			document.querySelectorAll(".msg-html").forEach(d => d.open = true);
			const fs = document.querySelectorAll(".msg-html iframe");
			fs.forEach(f => f.loading = "eager");
			return fs.length; })()`)); err != nil {
			t.Fatal(err)
		}
		for _, s := range tickets[number] {
			frame := messageFrame(t, ctx, number, s.msg)
			listen(frame)
			checkFrame(t, frame, s.n, corpus[s.n].html)
		}
		time.Sleep(300 * time.Millisecond) // late timers and load events
		for _, s := range tickets[number] {
			got, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf("typeof window.__xss_%d !== 'undefined'", s.n)))
			if err != nil || got {
				t.Errorf("payload %d set its flag in the ticket page (%v): %s", s.n, err, corpus[s.n].html)
			}
		}
	}
	if n := dialogs.Load(); n != 0 {
		t.Errorf("%d JavaScript dialogs opened in the desk: a payload ran", n)
	}
	if len(all) < 40 {
		t.Fatalf("only %d payloads", len(all))
	}
}

// checkFrame asserts that payload n left no flag in its frame and nothing
// in the frame's body that could run later.
func checkFrame(t *testing.T, frame context.Context, n int, payload string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		state, err := chromedp.Run(frame, chromedp.Evaluate[string](`document.readyState`))
		if err == nil && state == "complete" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("payload %d: frame not loaded (%q, %v)", n, state, err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	got, err := chromedp.Run(frame, chromedp.Evaluate[bool](fmt.Sprintf("typeof window.__xss_%d !== 'undefined'", n)))
	if err != nil || got {
		t.Errorf("payload %d ran in the formatted view (%v): %s", n, err, payload)
	}
	left, err := chromedp.Run(frame, chromedp.Evaluate[[]string](`(() => {
		const bad = [];
		const body = document.body;
		if (!body) return bad;
		body.querySelectorAll("script,iframe,frame,object,embed,applet,meta,base,link,form,button,input,select,textarea,style,math,svg,noscript").forEach(e => bad.push("<" + e.tagName.toLowerCase() + ">"));
		body.querySelectorAll("*").forEach(e => { for (const a of e.attributes) {
			const v = a.value.replace(/[\s\u0000-\u001f]/g, "").toLowerCase();
			if (/^on/i.test(a.name) || a.name === "formaction" || a.name === "srcdoc" ||
				/^(javascript|vbscript|livescript):/.test(v) || /^data:(?!image\/(png|jpeg|gif|webp))/.test(v) ||
				v.includes("expression(") || v.includes("javascript:")) bad.push(e.tagName.toLowerCase() + " " + a.name + "=" + a.value);
		} });
		return bad; })()`))
	if err != nil {
		t.Errorf("payload %d: inspect the frame: %v", n, err)
	} else if len(left) > 0 {
		t.Errorf("payload %d left %v in the formatted view: %s", n, left, payload)
	}
}

// messageFrame attaches to the frame of message msg's formatted view.
func messageFrame(t *testing.T, ctx context.Context, number int64, msg uint) context.Context {
	t.Helper()
	want := ticketURL(number) + "/messages/" + strconv.FormatUint(uint64(msg), 10) + "/html"
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatalf("list targets: %v", err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasSuffix(strings.SplitN(info.URL, "?", 2)[0], want) {
				frameCtx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID))
				t.Cleanup(cancel)
				return frameCtx
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no frame for %s", want)
		}
	}
}

// login signs the browser in through the form.
func login(t *testing.T, ctx context.Context, en *env) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(en.srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), testEmail),
		chromedp.SendKeys(chromedp.CSS(`#password`), testPassword),
		chromedp.Click(chromedp.CSS(`.login button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#password`)),
	); err != nil {
		t.Fatalf("log in: %v", err)
	}
}

// TestBrowserXSSInTicketFields puts payloads in the fields the pages print
// as text (subject, sender name and address, mail text, requester name) and
// opens the ticket page and the list: html/template must show them as text.
func TestBrowserXSSInTicketFields(t *testing.T) {
	ctx, dialogs, _ := xssBrowser(t)
	en := newEnv(t)
	bg := context.Background()
	fields := []string{
		`<script>` + xssFlag(900) + `</script>`,
		`"><img src=x onerror="` + xssFlag(901) + `">`,
		`'><svg onload=` + xssFlag(902) + `>`,
		`</title><script>` + xssFlag(903) + `</script>`,
		`javascript:` + xssFlag(904),
	}
	tk := en.seedTicket("Ämne "+fields[0]+fields[1], models.StatusNew, models.CategoryOther, "x@corp.test", "Text "+fields[2]+fields[3], nil)
	msg := &models.Message{TicketID: tk.ID, Direction: models.DirIn, Kind: models.KindEmail, FromName: "Eva " + fields[1] + fields[3],
		FromEmail: "eva@corp.test", To: fields[4], Subject: fields[2], Text: fields[0] + "\n" + fields[4], AutoClass: "personal", CreatedAt: time.Now().UTC()}
	if err := en.store.AddMessage(bg, msg); err != nil {
		t.Fatal(err)
	}
	r, err := en.store.UpsertRequester(bg, "x@corp.test", "", "sv")
	if err != nil {
		t.Fatal(err)
	}
	_ = r
	login(t, ctx, en)
	for _, path := range []string{ticketURL(tk.Number), "/tickets", "/tickets?q=" + "%3Cscript%3E"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(en.srv.URL+path), chromedp.WaitReady(chromedp.CSS(`body`))); err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		time.Sleep(300 * time.Millisecond)
		for n := 900; n <= 904; n++ {
			got, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf("typeof window.__xss_%d !== 'undefined'", n)))
			if err != nil || got {
				t.Errorf("%s: field payload %d ran (%v)", path, n, err)
			}
		}
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		if err != nil {
			t.Fatal(err)
		}
		// Shown as the characters typed, i.e. escaped rather than parsed.
		if !strings.Contains(text, "Ämne <script>") {
			t.Errorf("%s: the subject is not shown as text:\n%.500s", path, text)
		}
		if path == ticketURL(tk.Number) && !strings.Contains(text, `"><img src=x onerror=`) {
			t.Errorf("%s: the sender's name is not shown as text", path)
		}
	}
	if n := dialogs.Load(); n != 0 {
		t.Errorf("%d dialogs opened", n)
	}
}
