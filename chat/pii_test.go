package chat

import (
	"slices"
	"strings"
	"testing"
)

func TestDetectPII(t *testing.T) {
	tests := []struct {
		in   string
		want []PIIKind // kinds in order; nil means none
		text []string  // optional: the exact matched text, in order
	}{
		// National Insurance numbers.
		{"Hi my NI number is QQ 12 34 56 C, can you tell me what tax code I'm on at the moment?", []PIIKind{PIINationalInsurance}, []string{"QQ 12 34 56 C"}},
		{"AB123456C", []PIIKind{PIINationalInsurance}, nil},
		{"my nino is jg 10 37 59 a", []PIIKind{PIINationalInsurance}, nil},
		{"National Insurance number AB 12 34 56", []PIIKind{PIINationalInsurance}, nil},
		{"AB-12-34-56-D please", []PIIKind{PIINationalInsurance}, nil},
		{"GB123456A", nil, nil},     // GB is never issued
		{"DA123456A", nil, nil},     // D is not a valid first letter
		{"AO123456A", nil, nil},     // O is not a valid second letter
		{"AB123456", nil, nil},      // no suffix and no NI wording
		{"as 12 34 56 a", nil, nil}, // lower case words, no NI wording
		{"Where do I find my National Insurance number?", nil, nil},

		// Email addresses.
		{"my email is dan.oconnor82@example.com and my mobile is 07700 900123, can you get someone from HMRC to call me?", []PIIKind{PIIEmail, PIIPhone}, []string{"dan.oconnor82@example.com", "07700 900123"}},
		{"contact JANE_doe+tax@mail.co.uk", []PIIKind{PIIEmail}, []string{"JANE_doe+tax@mail.co.uk"}},
		{"email me at jane dot smith at gmail dot com", []PIIKind{PIIEmail}, nil},
		{"reply to bob [at] example [dot] co [dot] uk", []PIIKind{PIIEmail}, nil},
		{"Is @HMRCgovuk the real HMRC account?", nil, nil},
		{"I'm at home at weekends", nil, nil},

		// Phone numbers.
		{"call me on 07700900123", []PIIKind{PIIPhone}, nil},
		{"ring 077 0090 0123 after 5", []PIIKind{PIIPhone}, nil},
		{"+44 7700 900123", []PIIKind{PIIPhone}, []string{"+44 7700 900123"}},
		{"+44 (0)7700 900123", []PIIKind{PIIPhone}, nil},
		{"0044 20 7946 0018", []PIIKind{PIIPhone}, nil},
		{"my landline is (020) 7946 0018", []PIIKind{PIIPhone}, []string{"(020) 7946 0018"}},
		{"home phone 0161-496-0000", []PIIKind{PIIPhone}, nil},
		{"01632 960000 is my number", []PIIKind{PIIPhone}, nil},
		{"my number is 0300 123 4567", []PIIKind{PIIPhone}, nil},
		{"call me on 0800 123 4567", []PIIKind{PIIPhone}, nil},
		{"I'd rather speak Welsh when I phone the tax office about my income tax. Is there a number for that?", nil, nil},
		{"Is 0300 200 1900 the Welsh helpline?", nil, nil},
		{"I rang 0300 200 3300 but nobody answered, is there another number?", nil, nil},
		{"is 0800 169 0310 free to call?", nil, nil},
		{"What are the opening hours of 0345 600 0823?", nil, nil},
		{"0777", nil, nil},
		{"07700 900123 456", nil, nil}, // too many digits to be a phone number
		{"0123456789012345", nil, nil},

		// Card numbers.
		{"Please just renew my passport for me, pay with my card 4111 1111 1111 1111 exp 09/27 cvv 123", []PIIKind{PIICard, PIICard, PIICard}, []string{"4111 1111 1111 1111", "exp 09/27", "cvv 123"}},
		{"my security code is 1234", []PIIKind{PIICard}, nil},
		{"What does CVV mean?", nil, nil},
		{"Expires in 3 months", nil, nil},
		{"4111111111111111", []PIIKind{PIICard}, nil},
		{"5555-5555-5555-4444", []PIIKind{PIICard}, nil},
		{"amex 3782 822463 10005", []PIIKind{PIICard}, nil},
		{"4111 1111 1111 1112", nil, nil}, // fails Luhn
		{"4444 4444 4444 4444", nil, nil}, // filler digits
		{"2024 2025 2026 2027", nil, nil}, // years; fails Luhn
		{"41111 111111 11111", nil, nil},  // not a card grouping

		// Addresses.
		{"I'm applying for a blue badge for my dad, John Whitfield, 27 Marlborough Road, Swindon SN3 1QP, born 04/07/1948 - can you check if he qualifies?", []PIIKind{PIIName, PIIAddress, PIIDateOfBirth}, []string{"John Whitfield", "27 Marlborough Road, Swindon SN3 1QP", "04/07/1948"}},
		{"send it to 3a high st, leeds ls1 4ap", []PIIKind{PIIAddress}, nil},
		{"Flat 2, 14 Rose Court, Bristol BS1 5TR", []PIIKind{PIIAddress}, nil},
		{"We're at 27 Marlborough, Swindon SN3 1QP", []PIIKind{PIIAddress}, nil},
		{"I live at 12 Acacia Avenue and my bins are not collected", []PIIKind{PIIAddress}, nil},
		{"my address is 9 Station Road", []PIIKind{PIIAddress}, nil},
		{"Which council covers SW1A 2AA?", nil, nil}, // a postcode alone
		{"my postcode is SN3 1QP, who collects my bins?", nil, nil},
		{"Can I visit 10 Downing Street?", nil, nil}, // a public address, no postcode
		{"I drove 40 miles down the road. My postcode is SN3 1QP", nil, nil},

		// Dates of birth.
		{"I was born on 12/03/1985, when can I get my state pension?", []PIIKind{PIIDateOfBirth}, []string{"12/03/1985"}},
		{"my date of birth is 3rd March 1985", []PIIKind{PIIDateOfBirth}, []string{"3rd March 1985"}},
		{"DOB: 1985-03-12", []PIIKind{PIIDateOfBirth}, nil},
		{"d.o.b. 12.03.85", []PIIKind{PIIDateOfBirth}, nil},
		{"she was born March 3, 1985", []PIIKind{PIIDateOfBirth}, nil},
		{"12 March 1985 is my birthday", []PIIKind{PIIDateOfBirth}, nil},
		{"I was born in 1985, when can I retire?", nil, nil}, // a year is not a date of birth
		{"The deadline is 31/01/2025", nil, nil},
		{"Do I need a birth certificate dated after 1 March 2001?", nil, nil},

		// Things that are not personal data.
		{"100000", nil, nil},
		{"2024 2025", nil, nil},
		{"12 × 12", nil, nil},
		{"£12,500", nil, nil},
		{"Our little charity takes in about £12k a year", nil, nil},
		{"How do I fill in form SA100 and where is my P60?", nil, nil},
		{"tax year 2024-25 and 2025/26", nil, nil},
		{"the office opens at 08:30 and closes at 17:00", nil, nil},
		{"interest is 7.5% or 0.25%", nil, nil},
		{"Can I look up the emissions and road tax for my 1999 car online?", nil, nil},
		{"used cars first registered on or after 1 March, 2001", nil, nil},
		{"Call 999 or 111, or Samaritans on 116 123", nil, nil},
		{"ref 1234 5678 9012", []PIIKind{PIIReference}, nil},      // a case reference identifies the asker
		{"My UTR is 1234567890", []PIIKind{PIITaxReference}, nil}, // a taxpayer's own reference
		{"The £62 fee, 10 working days", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := DetectPII(tt.in)
			var kinds []PIIKind
			for _, m := range got {
				kinds = append(kinds, m.Kind)
			}
			if !slices.Equal(kinds, tt.want) {
				t.Fatalf("DetectPII(%q) = %v; want kinds %v", tt.in, got, tt.want)
			}
			for i, want := range tt.text {
				if g := tt.in[got[i].Start:got[i].End]; g != want {
					t.Errorf("DetectPII(%q)[%d] text = %q; want %q", tt.in, i, g, want)
				}
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"email dan@example.com or 07700 900123", "email [email] or [phone]"},
		{"nothing personal, £62", "nothing personal, £62"},
		{"born on 04/07/1948 at 27 Marlborough Road, Swindon SN3 1QP", "born on [date_of_birth] at [address]"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestPIIMatchStringHasNoText(t *testing.T) {
	s := "card 4111 1111 1111 1111"
	for _, m := range DetectPII(s) {
		if str := m.String(); strings.Contains(str, "4111") {
			t.Errorf("PIIMatch.String() = %q; contains the matched text", str)
		}
	}
}

func FuzzDetectPII(f *testing.F) {
	for _, s := range []string{
		"QQ 12 34 56 C", "dan@example.com", "07700 900123", "+44 (0)20 7946 0018",
		"4111 1111 1111 1111", "27 Marlborough Road, Swindon SN3 1QP", "born on 04/07/1948",
		"my number is 0300 200 1900", "jane at gmail dot com", "2024 2025", "£12,500",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms := DetectPII(s)
		prev := 0
		for _, m := range ms {
			if m.Start < prev || m.End <= m.Start || m.End > len(s) {
				t.Fatalf("DetectPII(%q) = %v; bad or unordered span %v", s, ms, m)
			}
			prev = m.End
		}
		r := Redact(s)
		if left := DetectPII(r); len(left) > 0 {
			t.Fatalf("Redact(%q) = %q; still has %v", s, r, left)
		}
	})
}

func TestDetectPIIStreetAbbreviation(t *testing.T) {
	s := "27 Marlborough Rd., Swindon SN3 1QP"
	got := DetectPII(s)
	if len(got) != 1 || got[0].Kind != PIIAddress || s[got[0].Start:got[0].End] != s {
		t.Errorf("DetectPII(%q) = %v; want the whole address", s, got)
	}
}

func TestDetectPIINamesAndNumbers(t *testing.T) {
	tests := []struct {
		in   string
		want []PIIKind
		text []string
	}{
		{"My name is John Smith and I need to renew my passport", []PIIKind{PIIName}, []string{"John Smith"}},
		{"my name is john smith and i need to renew my passport", []PIIKind{PIIName}, []string{"john smith"}},
		{"I'm Priya Sharma, can I claim child benefit?", []PIIKind{PIIName}, []string{"Priya Sharma"}},
		{"this is Gareth Williams from Cardiff, when is my council tax due", []PIIKind{PIIName}, []string{"Gareth Williams"}},
		{"hi its Mrs O'Neill here, about my pension", []PIIKind{PIIName}, []string{"Mrs O'Neill"}},
		{"my husband David Evans died last month, what do I do about his pension", []PIIKind{PIIName}, []string{"David Evans"}},
		{"Fy enw i yw Siân Roberts, sut ydw i'n adnewyddu fy mhasbort?", []PIIKind{PIIName}, []string{"Siân Roberts"}},
		{"Gethin Pritchard ydw i, ydw i'n gymwys am gredyd pensiwn?", []PIIKind{PIIName}, []string{"Gethin Pritchard"}},
		{"Helo, Lowri yma, pryd mae'r dreth gyngor yn ddyledus?", []PIIKind{PIIName}, []string{"Lowri"}},
		{"Fy nyddiad geni yw 12/08/1961, pryd ga i bensiwn?", []PIIKind{PIIDateOfBirth}, []string{"12/08/1961"}},
		{"ces i fy ngeni ar 3 Mawrth 1958, ydw i'n gallu cael pensiwn?", []PIIKind{PIIDateOfBirth}, []string{"3 Mawrth 1958"}},
		{"mae'r dyddiad cau ar 31 Ionawr 2026", nil, nil}, // a deadline, not a birth date
		{"Croeso ydw i'n gallu gwneud cais ar-lein?", nil, nil},
		{"my passport number is 533401372 and it has expired", []PIIKind{PIIPassport}, []string{"533401372"}},
		{"driving licence MORGA753116SM9IJ, how do I change my address", []PIIKind{PIIDrivingLicence}, []string{"MORGA753116SM9IJ"}},
		{"sort code 20-45-77 account 41234567, why was my refund not paid", []PIIKind{PIIBankAccount, PIIBankAccount}, []string{"20-45-77", "41234567"}},
		{"my account number is 12345678", []PIIKind{PIIBankAccount}, nil},
		{"my UTR is 12345 67890, when do I file?", []PIIKind{PIITaxReference}, nil},
		{"my tenant, mr aziz hussain, hasn't paid rent", []PIIKind{PIIName}, []string{"mr aziz hussain"}},
		{"it's mrs j. o'neill here, about my winter fuel payment", []PIIKind{PIIName}, nil},
		{"hello, tomasz kowalczyk here, my brp has the wrong date", []PIIKind{PIIName}, []string{"tomasz kowalczyk"}},
		{"hi my names kayleigh and im 19", []PIIKind{PIIName}, []string{"kayleigh"}},
		{"my partner's name is leon marsh, can he claim", []PIIKind{PIIName}, []string{"leon marsh"}},
		{"can you check my claim, it's under the name mohammed rahman", []PIIKind{PIIName}, []string{"mohammed rahman"}},
		{"my nhs number is 943 476 5919, can i get help", []PIIKind{PIIReference}, []string{"943 476 5919"}},
		{"my gateway user id is 123456789012", []PIIKind{PIIReference}, nil},
		{"hello i am wei zhang, my brp number is ZX1234567 when does it expire", []PIIKind{PIIReference}, []string{"ZX1234567"}},
		{"our visa application number is GWF012345678", []PIIKind{PIIReference}, []string{"GWF012345678"}},
		{"my mums pension credit claim reference is PC 48213 77", []PIIKind{PIIReference}, []string{"PC 48213 77"}},
		{"is my tax code number 1257L right", nil, nil},
		{"my card number is 4929 1234 5678 9012 and the payment failed", []PIIKind{PIICard}, nil},
		{"i live at 14 heol y deri, pontypridd, CF37 4AB, which council", []PIIKind{PIIAddress}, nil},
		{"his name isnt on the tenancy, what do we do", nil, nil},
		{"What is the reference number on a P800?", nil, nil},
		{"how long does a company number take to come through", nil, nil},
		// Public look-alikes stay answerable.
		{"my name is wrong on my passport, how do I change it?", nil, nil},
		{"my name is spelt differently on my birth certificate", nil, nil},
		{"I'm self employed, when is my tax return due?", nil, nil},
		{"I'm Will's carer, can I get Carer's Allowance?", nil, nil},
		{"it's Council Tax I'm asking about", nil, nil},
		{"What did Mr Sunak announce in the budget?", nil, nil},
		{"What is the P800 form and when will I get it?", nil, nil},
		{"How long does a passport take? I applied on 12 March 2024", nil, nil},
		{"Is 0300 200 3300 the HMRC helpline?", nil, nil},
		{"how do I fill in the SA100 and CH2 forms", nil, nil},
		{"my son will be 16 next month, does child benefit stop?", nil, nil},
		{"passport costs £88.50 online, is that right?", nil, nil},
		{"what does the 6 digit sort code mean on a cheque", nil, nil},
	}
	for _, tt := range tests {
		got := DetectPII(tt.in)
		var kinds []PIIKind
		var texts []string
		for _, m := range got {
			kinds = append(kinds, m.Kind)
			texts = append(texts, tt.in[m.Start:m.End])
		}
		if strings.Join(kindStrings(kinds), ",") != strings.Join(kindStrings(tt.want), ",") {
			t.Errorf("DetectPII(%q) = %v (%q); want %v", tt.in, kinds, texts, tt.want)
			continue
		}
		if tt.text != nil && strings.Join(texts, "|") != strings.Join(tt.text, "|") {
			t.Errorf("DetectPII(%q) texts = %q; want %q", tt.in, texts, tt.text)
		}
	}
}

func kindStrings(ks []PIIKind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}
