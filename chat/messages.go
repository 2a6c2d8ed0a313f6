package chat

// Citizen-facing fixed messages. They live in one file so that content
// designers can review every word the service says without an LLM, and so
// that tests can check the refusals never echo what the user typed.
//
// Style: GOV.UK plain English. Short sentences, no jargon, say what the
// user can do next.
const (
	// GOVUKSearchURL is where every decline points people.
	GOVUKSearchURL = "https://www.gov.uk/search"

	// MsgPIIRefusal is sent instead of an answer when a question contains
	// personal data. It must never repeat the data back.
	MsgPIIRefusal = "Your message contains personal details, like a name, address, phone number, email address, date of birth or National Insurance number. " +
		"Do not share personal details here. " +
		"Remove them and ask your question again. " +
		"I cannot look up your records or contact anyone for you."

	// MsgJailbreakDecline is sent when a message tries to change the rules
	// of the service. It does not say which rule matched or what the
	// instructions are.
	MsgJailbreakDecline = "I cannot help with that. " +
		"I can only answer questions about UK government services and information on GOV.UK. " +
		"Ask me a question about a government service and I will try to help."

	// MsgNoContent is sent when GOV.UK has nothing that answers the question.
	MsgNoContent = "I could not find anything on GOV.UK that answers your question. " +
		"Try asking it in a different way, or search GOV.UK: " + GOVUKSearchURL

	// MsgOutOfScope is sent for questions that are clearly not about
	// government services.
	MsgOutOfScope = "I can only answer questions about UK government services and information, " +
		"like benefits, tax, passports, driving, visas and travel advice. " +
		"I cannot help with other topics. " +
		"To find government information, search GOV.UK: " + GOVUKSearchURL

	// MsgOutOfScopeUnsure declines a question that looked off-topic and
	// found nothing close on GOV.UK: it may still be a government question
	// asked in words the index does not know, so it says how to try again.
	MsgOutOfScopeUnsure = "I could not find anything on GOV.UK about that. " +
		"I can only answer questions about UK government services and information, " +
		"like benefits, tax, passports, driving, visas and travel advice. " +
		"If your question is about a government service, try asking it in a different way, or search GOV.UK: " + GOVUKSearchURL

	// MsgError is sent when something went wrong on our side.
	MsgError = "Sorry, something went wrong. Try asking your question again. " +
		"If it keeps happening, search GOV.UK: " + GOVUKSearchURL

	// MsgTimeout is sent when an answer took too long.
	MsgTimeout = "Sorry, it is taking too long to answer your question. Try again in a few minutes."

	// MsgKillSwitch is sent when the service has been switched off by an operator.
	MsgKillSwitch = "This service is not available at the moment. " +
		"You can still find information by searching GOV.UK: " + GOVUKSearchURL

	// MsgRateLimited is sent when someone asks too many questions too quickly.
	MsgRateLimited = "You have asked a lot of questions in a short time. Wait a minute, then try again."

	// MsgTooLong is sent when a question is over the length limit.
	MsgTooLong = "Your question is too long. Make it shorter and ask again."

	// MsgEmpty is sent when a message has no text once invisible characters are removed.
	MsgEmpty = "Type a question to get started."

	// MsgGreeting answers a message that is only a greeting.
	MsgGreeting = "Hello. I can answer questions about UK government services and information on GOV.UK. " +
		"What would you like to know?"

	// MsgThanks answers a message that only says thank you or goodbye.
	MsgThanks = "You're welcome. If you have another question about a government service, just ask."

	// MsgAbout answers questions about the service itself.
	MsgAbout = "I am an automated assistant, not a person. " +
		"I answer questions using information published on GOV.UK, and I show you the pages I used. " +
		"I can make mistakes, so check the pages before you act. " +
		"I cannot see your personal records or make applications for you."

	// MsgCrisis signposts urgent help. It goes first, before any other check,
	// because a person in crisis must never get a refusal or a search link.
	MsgCrisis = "I'm sorry you're feeling like this. You do not have to go through it alone. " +
		"If your life is in danger, call 999 now. " +
		"You can call Samaritans free on 116 123, any time of day or night. " +
		"You can text SHOUT to 85258 for free, confidential support. " +
		"For urgent medical help, call NHS 111. " +
		"If someone is hurting you, call the National Domestic Abuse Helpline free on 0808 2000 247, any time."

	// MsgCrisisOther signposts urgent help when the message is about
	// someone else, with words for the person helping.
	MsgCrisisOther = "It sounds like you're worried about someone. Thank you for reaching out for them. " +
		"If their life is in danger now, call 999. " +
		"Samaritans can talk to you or to them free on 116 123, any time of day or night. " +
		"They can text SHOUT to 85258 for free, confidential support, and NHS 111 can give urgent medical advice. " +
		"Stay with them if it is safe, and look after yourself too: you can call Samaritans for support as well."

	// MsgEmergency answers danger happening now: 999 first.
	MsgEmergency = "If you or someone else is in danger or hurt now, call 999 and ask for the service you need. " +
		"If you call 999 from a mobile and cannot speak, stay on the line and press 55 when asked, so the police know it is a real emergency. " +
		"For urgent medical help that is not an emergency, call NHS 111. " +
		"You can call Samaritans free on 116 123, any time of day or night."

	// MsgCrisisSoft goes ahead of an answer when the router is not sure a
	// government question also carries distress (Decision.AnswerToo). It
	// reads well to a person in crisis and to one who is not.
	MsgCrisisSoft = "If you or someone you know is going through a difficult time, you do not have to cope alone. " +
		"You can call Samaritans free on 116 123, any time of day or night, or text SHOUT to 85258. " +
		"If anyone's life is in danger, call 999 now."

	// MsgIllegal declines help with breaking the law and points to
	// legitimate help.
	MsgIllegal = "I cannot help with anything that breaks the law. " +
		"If you're struggling to pay tax or pay back a benefit, you can get help: " +
		"https://www.gov.uk/difficulties-paying-hmrc. " +
		"I can answer questions about your rights and what you're entitled to."

	// MsgHarmful declines abusive, hateful or divisive requests.
	MsgHarmful = "I cannot help with that. " +
		"I can answer questions about UK government services and information on GOV.UK, like benefits, tax, passports and driving."

	// MsgNegativeAck answers a complaint about the last answer.
	MsgNegativeAck = "Sorry that did not help. Try asking your question in a different way, with a bit more detail. " +
		"You can also search GOV.UK: " + GOVUKSearchURL

	// MsgAboutMPs answers questions about MPs and political parties.
	MsgAboutMPs = "I cannot answer questions about MPs, ministers or political parties. " +
		"You can find your MP and how to contact them on the UK Parliament website: https://members.parliament.uk. " +
		"I can answer questions about government services and information on GOV.UK."

	// MsgAdvice answers requests for opinions, predictions or personal advice.
	MsgAdvice = "I cannot give opinions, make predictions or give personal advice. " +
		"I can tell you what GOV.UK says about a service or a rule. " +
		"Ask me a question about a government service and I will try to help."

	// MsgCharacterFun answers playful chat.
	MsgCharacterFun = "I'm an automated assistant for GOV.UK, so I stick to questions about UK government services and information. " +
		"Ask me about things like benefits, tax, passports, driving or visas."

	// MsgGovTransparency answers questions about government decisions,
	// spending or internal information.
	MsgGovTransparency = "I cannot answer questions about government decisions or spending that are not in GOV.UK guidance. " +
		"You can find official statistics and research on GOV.UK: https://www.gov.uk/search/research-and-statistics. " +
		"You can also make a Freedom of Information request: https://www.gov.uk/make-a-freedom-of-information-request."

	// MsgMultiQuestions asks for one question at a time.
	MsgMultiQuestions = "It looks like you've asked more than one question. " +
		"Ask one question at a time so I can give you a clear answer."

	// MsgNonEnglish answers messages in languages the service does not cover.
	MsgNonEnglish = "Sorry, I can only answer questions in English or Welsh. " +
		"Mae'n ddrwg gen i, dim ond yn Saesneg neu yn Gymraeg y gallaf ateb cwestiynau."

	// MsgVague asks for more detail.
	MsgVague = "I'm not sure what you're asking. Tell me a bit more, for example: \"How do I renew my passport?\""

	// MsgUnclear answers messages with no clear meaning.
	MsgUnclear = "Sorry, I did not understand that. Ask me a question about a UK government service, " +
		"like benefits, tax, passports, driving or visas."

	// MsgExtractiveLeadIn starts an answer made only of sentences copied
	// from GOV.UK pages, so readers know they are quotes, not advice.
	MsgExtractiveLeadIn = "This is what GOV.UK says:"
)

// Messages used by the pipeline itself.
const (
	// MsgBusy is sent when a second question arrives before the first is answered.
	MsgBusy = "I am still answering your last question. Wait for the answer, then ask again."

	// MsgGuardrail replaces an answer that failed the checks on what the
	// service may say.
	MsgGuardrail = "Sorry, I cannot give you an answer to that. " +
		"Try asking in a different way, or search GOV.UK: " + GOVUKSearchURL

	// MsgFallback introduces the sources when the AI model could not write
	// an answer in time.
	MsgFallback = "Sorry, I cannot write an answer right now. These GOV.UK pages may help:"

	// MsgPartialAnswer follows quotes that the offline composer judged
	// to miss much of the question or the kind of fact asked for.
	MsgPartialAnswer = "This may not answer all of your question. Read the pages it comes from, or search GOV.UK: " + GOVUKSearchURL

	// MsgCutShort follows a partial answer when the AI model stopped early.
	MsgCutShort = "\n\nThis answer was cut short. These GOV.UK pages may help:"
)
