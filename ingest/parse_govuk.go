package ingest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/govchat/govchat"
)

// This file finds the text of each GOV.UK schema. Everything is turned into
// HTML (structured fields are rendered first) and goes through the same
// sanitiser and chunker. Where the text lives:
//
//	most schemas              details.body: an HTML string, or a list of
//	                          {content_type, content} (text/html preferred,
//	                          text/govspeak taken as plain text)
//	guide, travel_advice      details.parts[]: one part per page at base_path/slug
//	transaction               introductory_paragraph, what_you_need_to_know,
//	                          more_information, other_ways_to_apply, variants[]
//	local_transaction         introduction, need_to_know, more_information
//	licence                   licence_overview
//	place                     introduction, more_information
//	worldwide_office          access_and_opening_times
//	history                   lead_paragraph, body
//	step_by_step_nav          step_by_step_nav.introduction and steps[].contents
//	contact                   contact_form_links, email_addresses, phone_numbers,
//	                          post_addresses and their more_info_* notes
//	consultation,             body, dates, ways_to_respond, public feedback and
//	call_for_evidence         outcome details with their documents
//	manual, hmrc_manual(_section), manual_section
//	                          body, then child_section_groups as a contents list
//
// The description leads the first chunk of the page (for guides and travel
// advice it is a chunk of its own at the bare base path, because every part
// has its own path). Made-up text (the description, dates, alert status,
// contents lists) is marked meta: a page with nothing else has "no body text".

// details is an item's details object, field by field.
type details map[string]json.RawMessage

func decodeDetails(raw json.RawMessage) (details, error) {
	if isNull(raw) {
		return details{}, nil
	}
	var d details
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("details: want an object, got %s", jsonKind(raw))
	}
	return d, nil
}

// html returns a field holding HTML: a string, or a list of content types.
func (d details) html(key string) (string, error) {
	return bodyHTML(d[key], "details."+key)
}

func bodyHTML(raw json.RawMessage, field string) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var list []struct {
		ContentType string `json:"content_type"`
		Content     string `json:"content"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return "", fmt.Errorf("%s: want an HTML string or a list of content types, got %s", field, jsonKind(raw))
	}
	for _, c := range list {
		if c.ContentType == "text/html" {
			return c.Content, nil
		}
	}
	for _, c := range list {
		if c.ContentType == "text/govspeak" {
			return plainToHTML(c.Content), nil
		}
	}
	return "", nil
}

// plainToHTML wraps plain text (govspeak markup read as text) in paragraphs,
// one per blank-line-separated run.
func plainToHTML(s string) string {
	var b strings.Builder
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			b.WriteString("<p>" + html.EscapeString(p) + "</p>\n")
		}
	}
	return b.String()
}

// str returns a plain string field ("" when absent or null).
func (d details) str(key string) (string, error) {
	return stringOrNull(d[key], "details."+key)
}

// into decodes a structured field, naming it in the error.
func (d details) into(key string, v any) error {
	raw := d[key]
	if isNull(raw) {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("details.%s: unexpected shape (%s): %w", key, jsonKind(raw), err)
	}
	return nil
}

// metaPara is a made-up paragraph: description, dates, alert status.
func metaPara(text string) block {
	return block{kind: kindPara, text: text, html: "<p>" + html.EscapeString(text) + "</p>", meta: true}
}

func descBlocks(desc string) []block {
	if desc == "" {
		return nil
	}
	return []block{metaPara(desc)}
}

// itemSources returns the text sources of an item of an allowed schema.
func itemSources(schema string, doc govchat.Document, d details) ([]source, error) {
	base := doc.BasePath
	lead := source{path: base, blocks: descBlocks(doc.Description)}
	fields := func(srcs []source, spec ...string) ([]source, error) {
		return fieldSources(d, base, srcs, spec...)
	}
	switch schema {
	case "guide", "travel_advice":
		return partsSources(schema, doc, d, lead)
	case "transaction":
		srcs, err := fields([]source{lead},
			"introductory_paragraph", "",
			"what_you_need_to_know", "What you need to know",
			"more_information", "",
			"other_ways_to_apply", "Other ways to apply")
		if err != nil {
			return nil, err
		}
		return variantSources(doc, d, srcs)
	case "local_transaction":
		return fields([]source{lead}, "introduction", "", "need_to_know", "What you need to know", "more_information", "")
	case "licence":
		return fields([]source{lead}, "licence_overview", "")
	case "place":
		return fields([]source{lead}, "introduction", "", "more_information", "")
	case "worldwide_office":
		return fields([]source{lead}, "access_and_opening_times", "Access and opening times")
	case "history":
		return fields([]source{lead}, "lead_paragraph", "", "body", "")
	case "step_by_step_nav":
		return stepSources(d, lead)
	case "contact":
		return contactSources(d, lead)
	case "consultation", "call_for_evidence":
		return consultationSources(schema, d, lead, fields)
	case "manual", "hmrc_manual", "manual_section", "hmrc_manual_section":
		srcs, err := fields([]source{lead}, "body", "")
		if err != nil {
			return nil, err
		}
		return manualSources(d, base, srcs)
	}
	return fields([]source{lead}, "body", "")
}

// fieldSources appends to srcs one source per HTML field of d named in
// spec, which alternates field names and their headings ("" for none), in
// page order. Empty fields are left out.
func fieldSources(d details, base string, srcs []source, spec ...string) ([]source, error) {
	for i := 0; i+1 < len(spec); i += 2 {
		h, err := d.html(spec[i])
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(h) == "" {
			continue
		}
		s := source{path: base, html: h}
		if spec[i+1] != "" {
			s.prefix = []string{spec[i+1]}
		}
		srcs = append(srcs, s)
	}
	return srcs, nil
}

// partsSources gives each part of a guide or travel advice page its own path
// (base_path/slug, the first part included, as GOV.UK serves it there too)
// with the part title first in the heading path. The description, and for
// travel advice the alert status and latest update, form a chunk of their
// own at the bare base path.
func partsSources(schema string, doc govchat.Document, d details, lead source) ([]source, error) {
	var parts []struct {
		Slug  string          `json:"slug"`
		Title string          `json:"title"`
		Body  json.RawMessage `json:"body"`
	}
	if err := d.into("parts", &parts); err != nil {
		return nil, err
	}
	if schema == "travel_advice" {
		lead.blocks = append(lead.blocks, travelAdviceLead(doc, d)...)
	}
	srcs := []source{lead}
	for i, p := range parts {
		h, err := bodyHTML(p.Body, fmt.Sprintf("details.parts[%d].body", i))
		if err != nil {
			return nil, err
		}
		path := doc.BasePath
		if slug := strings.Trim(p.Slug, "/"); slug != "" && !strings.ContainsAny(slug, "?#/ ") {
			path = strings.TrimSuffix(doc.BasePath, "/") + "/" + slug
		}
		s := source{path: path, html: h, part: i + 1}
		if t := collapseSpace(p.Title); t != "" {
			s.prefix = []string{t}
		}
		srcs = append(srcs, s)
	}
	if len(parts) == 0 {
		// A guide published without parts may still have a body.
		h, err := d.html("body")
		if err != nil {
			return nil, err
		}
		srcs[0].html = h
	}
	return srcs, nil
}

// travelAdviceLead turns the alert status codes into a sentence and adds the
// latest update note.
func travelAdviceLead(doc govchat.Document, d details) []block {
	var country struct {
		Name string `json:"name"`
	}
	_ = d.into("country", &country) // the name only improves the wording
	name := cmp.Or(country.Name, "this country")
	var alerts []string
	_ = d.into("alert_status", &alerts)
	var out []block
	for _, a := range alerts {
		var s string
		switch a {
		case "avoid_all_but_essential_travel_to_parts":
			s = "The FCDO advises against all but essential travel to parts of " + name + "."
		case "avoid_all_but_essential_travel_to_whole_country":
			s = "The FCDO advises against all but essential travel to the whole of " + name + "."
		case "avoid_all_travel_to_parts":
			s = "The FCDO advises against all travel to parts of " + name + "."
		case "avoid_all_travel_to_whole_country":
			s = "The FCDO advises against all travel to the whole of " + name + "."
		default:
			continue
		}
		out = append(out, metaPara(s))
	}
	if change, _ := d.str("change_description"); strings.TrimSpace(change) != "" {
		change = collapseSpace(PlainText(change))
		if !strings.HasPrefix(strings.ToLower(change), "latest update") {
			change = "Latest update: " + change
		}
		out = append(out, metaPara(change))
	}
	return out
}

// variantSources adds a transaction's variants, each at base_path/slug.
func variantSources(doc govchat.Document, d details, srcs []source) ([]source, error) {
	var variants []struct {
		Slug                  string          `json:"slug"`
		Title                 string          `json:"title"`
		IntroductoryParagraph json.RawMessage `json:"introductory_paragraph"`
		MoreInformation       json.RawMessage `json:"more_information"`
	}
	if err := d.into("variants", &variants); err != nil {
		return nil, err
	}
	for i, v := range variants {
		slug := strings.Trim(v.Slug, "/")
		if slug == "" || strings.ContainsAny(slug, "?#/ ") {
			continue
		}
		var b strings.Builder
		for _, raw := range []json.RawMessage{v.IntroductoryParagraph, v.MoreInformation} {
			h, err := bodyHTML(raw, fmt.Sprintf("details.variants[%d]", i))
			if err != nil {
				return nil, err
			}
			b.WriteString(h)
		}
		if strings.TrimSpace(b.String()) == "" {
			continue
		}
		s := source{path: strings.TrimSuffix(doc.BasePath, "/") + "/" + slug, html: b.String(), part: len(srcs) + 1}
		if t := collapseSpace(v.Title); t != "" {
			s.prefix = []string{t}
		}
		srcs = append(srcs, s)
	}
	return srcs, nil
}

// stepSources renders a step-by-step journey: one heading per step, with its
// paragraphs and its task links ("Apply for a provisional licence (£34)").
// Steps joined by "and"/"or" share the previous step's number, as on GOV.UK.
func stepSources(d details, lead source) ([]source, error) {
	var nav struct {
		Introduction string `json:"introduction"`
		Steps        []struct {
			Title    string `json:"title"`
			Logic    string `json:"logic"`
			Contents []struct {
				Type     string `json:"type"`
				Style    string `json:"style"`
				Text     string `json:"text"`
				Contents []struct {
					Href    string `json:"href"`
					Text    string `json:"text"`
					Context string `json:"context"`
				} `json:"contents"`
			} `json:"contents"`
		} `json:"steps"`
	}
	if err := d.into("step_by_step_nav", &nav); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(nav.Introduction)
	num := 0
	for _, st := range nav.Steps {
		title := collapseSpace(st.Title)
		if st.Logic == "and" || st.Logic == "or" {
			fmt.Fprintf(&b, "<h2>Step %d (%s): %s</h2>\n", max(num, 1), st.Logic, html.EscapeString(title))
		} else {
			num++
			fmt.Fprintf(&b, "<h2>Step %d: %s</h2>\n", num, html.EscapeString(title))
		}
		for _, c := range st.Contents {
			switch c.Type {
			case "paragraph":
				b.WriteString("<p>" + html.EscapeString(c.Text) + "</p>\n")
			case "list":
				if c.Style == "choice" {
					b.WriteString("<p>Do one of the following:</p>\n")
				}
				b.WriteString("<ul>\n")
				for _, l := range c.Contents {
					b.WriteString("<li>")
					if l.Href != "" {
						b.WriteString(`<a href="` + html.EscapeString(l.Href) + `">` + html.EscapeString(l.Text) + "</a>")
					} else {
						b.WriteString(html.EscapeString(l.Text))
					}
					if ctx := collapseSpace(l.Context); ctx != "" {
						b.WriteString(" (" + html.EscapeString(ctx) + ")")
					}
					b.WriteString("</li>\n")
				}
				b.WriteString("</ul>\n")
			}
		}
	}
	lead.html = b.String()
	return []source{lead}, nil
}

// The contact details of a GOV.UK contact page, as the Content API gives them.
type (
	contactForm struct {
		Title       string `json:"title"`
		Link        string `json:"link"`
		Description string `json:"description"`
	}
	contactEmail struct {
		Title       string `json:"title"`
		Email       string `json:"email"`
		Description string `json:"description"`
	}
	contactPhone struct {
		Title              string `json:"title"`
		Number             string `json:"number"`
		Textphone          string `json:"textphone"`
		InternationalPhone string `json:"international_phone"`
		Fax                string `json:"fax"`
		Description        string `json:"description"`
		OpenHours          string `json:"open_hours"`
		BestTimeToCall     string `json:"best_time_to_call"`
	}
	contactPost struct {
		Title         string `json:"title"`
		StreetAddress string `json:"street_address"`
		Locality      string `json:"locality"`
		Region        string `json:"region"`
		PostalCode    string `json:"postal_code"`
		WorldLocation string `json:"world_location"`
		Description   string `json:"description"`
	}
)

// contactSources renders a contact page's forms, email addresses, phone
// numbers and postal addresses as sections.
func contactSources(d details, lead source) ([]source, error) {
	var forms []contactForm
	var emails []contactEmail
	var phones []contactPhone
	var posts []contactPost
	for _, f := range []struct {
		key string
		v   any
	}{{"contact_form_links", &forms}, {"email_addresses", &emails}, {"phone_numbers", &phones}, {"post_addresses", &posts}} {
		if err := d.into(f.key, f.v); err != nil {
			return nil, err
		}
	}
	var b strings.Builder
	for _, sec := range []struct {
		n     int
		write func(*strings.Builder)
		more  string // the details field of further text for the section
	}{
		{len(forms), func(b *strings.Builder) { writeContactForms(b, forms) }, "more_info_contact_form"},
		{len(emails), func(b *strings.Builder) { writeContactEmails(b, emails) }, "more_info_email_address"},
		{len(phones), func(b *strings.Builder) { writeContactPhones(b, phones) }, "more_info_phone_number"},
		{len(posts), func(b *strings.Builder) { writeContactPosts(b, posts) }, "more_info_post_address"},
	} {
		if sec.n == 0 {
			continue
		}
		sec.write(&b)
		if h, err := d.html(sec.more); err == nil {
			b.WriteString(h)
		}
	}
	lead.html = b.String()
	return []source{lead}, nil
}

func escSpace(s string) string { return html.EscapeString(collapseSpace(s)) }

func writeContactForms(b *strings.Builder, forms []contactForm) {
	b.WriteString("<h2>Online forms</h2>\n")
	for _, f := range forms {
		if href := safeHref(f.Link); href != "" {
			b.WriteString(`<p><a href="` + html.EscapeString(href) + `">` + escSpace(f.Title) + "</a></p>\n")
		} else {
			b.WriteString("<p>" + escSpace(f.Title) + "</p>\n")
		}
		b.WriteString(f.Description)
	}
}

func writeContactEmails(b *strings.Builder, emails []contactEmail) {
	b.WriteString("<h2>Email</h2>\n")
	for _, e := range emails {
		addr := strings.TrimSpace(e.Email)
		b.WriteString("<p>" + escSpace(e.Title) + `: <a href="mailto:` + html.EscapeString(addr) + `">` + html.EscapeString(addr) + "</a></p>\n")
		b.WriteString(e.Description)
	}
}

func writeContactPhones(b *strings.Builder, phones []contactPhone) {
	b.WriteString("<h2>Phone</h2>\n")
	for _, p := range phones {
		b.WriteString("<p><strong>" + escSpace(p.Title) + "</strong>")
		for _, l := range [][2]string{{"Telephone", p.Number}, {"Textphone", p.Textphone}, {"From outside the UK", p.InternationalPhone}, {"Fax", p.Fax}} {
			if v := collapseSpace(l[1]); v != "" {
				b.WriteString("<br>" + l[0] + ": " + html.EscapeString(v))
			}
		}
		b.WriteString("</p>\n")
		b.WriteString(p.Description)
		if t := collapseSpace(PlainText(p.OpenHours)); t != "" {
			b.WriteString("<p>Opening times: " + html.EscapeString(t) + "</p>\n")
		}
		if t := collapseSpace(PlainText(p.BestTimeToCall)); t != "" {
			b.WriteString("<p>Best time to call: " + html.EscapeString(t) + "</p>\n")
		}
	}
}

func writeContactPosts(b *strings.Builder, posts []contactPost) {
	b.WriteString("<h2>Post</h2>\n")
	for _, p := range posts {
		b.WriteString("<p><strong>" + escSpace(p.Title) + "</strong>")
		for _, l := range []string{p.StreetAddress, p.Locality, p.Region, p.PostalCode, p.WorldLocation} {
			for _, line := range strings.Split(strings.ReplaceAll(l, "\r", ""), "\n") {
				if v := collapseSpace(line); v != "" {
					b.WriteString("<br>" + html.EscapeString(v))
				}
			}
		}
		b.WriteString("</p>\n")
		b.WriteString(p.Description)
	}
}

// consultationSources adds to the body the consultation's dates, how to
// respond, the feedback received and the outcome, each with its documents.
func consultationSources(schema string, d details, lead source, fields func([]source, ...string) ([]source, error)) ([]source, error) {
	opening, _ := d.str("opening_date")
	closing, _ := d.str("closing_date")
	label := "Consultation"
	if schema == "call_for_evidence" {
		label = "Call for evidence"
	}
	if o, c := displayDate(opening), displayDate(closing); o != "" && c != "" {
		lead.blocks = append(lead.blocks, metaPara(label+" period: "+o+" to "+c+"."))
	}
	if u, _ := d.str("held_on_another_website_url"); safeHref(u) != "" {
		lead.blocks = append(lead.blocks, block{kind: kindPara, meta: true,
			text: "This " + strings.ToLower(label) + " is held on another website: " + u,
			html: `<p>This ` + strings.ToLower(label) + ` is held on another website: <a href="` + html.EscapeString(u) + `">` + html.EscapeString(u) + "</a></p>"})
	}
	srcs, err := fields([]source{lead}, "body", "")
	if err != nil {
		return nil, err
	}
	ways, err := waysToRespond(d)
	if err != nil {
		return nil, err
	}
	if ways != "" {
		srcs = append(srcs, source{path: lead.path, prefix: []string{"Ways to respond"}, html: ways})
	}
	for _, f := range [][3]string{
		{"public_feedback_detail", "public_feedback_documents", "Feedback received"},
		{"final_outcome_detail", "final_outcome_documents", "Outcome"},
		{"outcome_detail", "outcome_documents", "Outcome"},
	} {
		detail, err := d.html(f[0])
		if err != nil {
			return nil, err
		}
		var docs []json.RawMessage
		if err := d.into(f[1], &docs); err != nil {
			return nil, err
		}
		for _, raw := range docs {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				detail += "\n" + s
			}
		}
		if strings.TrimSpace(detail) != "" {
			srcs = append(srcs, source{path: lead.path, prefix: []string{f[2]}, html: detail})
		}
	}
	return srcs, nil
}

// waysToRespond renders a consultation's ways to respond; "" when it lists
// none.
func waysToRespond(d details) (string, error) {
	var ways struct {
		LinkURL       string `json:"link_url"`
		Email         string `json:"email"`
		PostalAddress string `json:"postal_address"`
		AttachmentURL string `json:"attachment_url"`
	}
	if err := d.into("ways_to_respond", &ways); err != nil {
		return "", err
	}
	var b strings.Builder
	if u := safeHref(ways.LinkURL); u != "" {
		b.WriteString(`<p>Respond online: <a href="` + html.EscapeString(u) + `">` + html.EscapeString(u) + "</a></p>\n")
	}
	if e := strings.TrimSpace(ways.Email); e != "" {
		b.WriteString(`<p>Email: <a href="mailto:` + html.EscapeString(e) + `">` + html.EscapeString(e) + "</a></p>\n")
	}
	if p := strings.TrimSpace(ways.PostalAddress); p != "" {
		b.WriteString("<p>Write to:<br>" + strings.ReplaceAll(html.EscapeString(strings.ReplaceAll(p, "\r", "")), "\n", "<br>") + "</p>\n")
	}
	if u := safeHref(ways.AttachmentURL); u != "" {
		b.WriteString(`<p>Response form: <a href="` + html.EscapeString(u) + `">` + html.EscapeString(u) + "</a></p>\n")
	}
	return b.String(), nil
}

// displayDate formats an RFC 3339 time as GOV.UK does ("7 August 2014"), in
// the offset the source gives.
func displayDate(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return ""
	}
	return t.Format("2 January 2006")
}

// manualSources adds a manual's contents (its child sections, titles and
// summaries) after the body. The list is meta: a manual page that is only a
// list of links has no body text of its own.
func manualSources(d details, base string, srcs []source) ([]source, error) {
	var groups []struct {
		Title         string `json:"title"`
		ChildSections []struct {
			SectionID   string `json:"section_id"`
			Title       string `json:"title"`
			Description string `json:"description"`
			BasePath    string `json:"base_path"`
		} `json:"child_sections"`
	}
	if err := d.into("child_section_groups", &groups); err != nil {
		return nil, err
	}
	for _, g := range groups {
		s := source{path: base, prefix: []string{cmp.Or(collapseSpace(g.Title), "Contents")}}
		for _, c := range g.ChildSections {
			label := collapseSpace(c.Title)
			if id := collapseSpace(c.SectionID); id != "" {
				label = id + ": " + label
			}
			text := label
			if desc := collapseSpace(c.Description); desc != "" {
				text += ": " + desc
			}
			h := html.EscapeString(label)
			if href := safeHref(c.BasePath); href != "" {
				h = `<a href="` + html.EscapeString(href) + `">` + h + "</a>"
			}
			if desc := collapseSpace(c.Description); desc != "" {
				h += ": " + html.EscapeString(desc)
			}
			s.blocks = append(s.blocks, block{kind: kindItem, text: "- " + text, html: "<li>" + h + "</li>", meta: true})
		}
		if len(s.blocks) > 0 {
			g := &group{open: "<ul>", close: "</ul>"}
			for i := range s.blocks {
				s.blocks[i].group = g
			}
			srcs = append(srcs, s)
		}
	}
	return srcs, nil
}
