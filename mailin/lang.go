package mailin

import (
	"strings"
	"unicode"
)

// swedishWords and englishWords are frequent words that are rare in the other language. Words both
// languages share ("i", "a", "in", "den") are left out.
var (
	swedishWords = wordSet(`och är jag inte det på för med hej min mitt mina att en ett som har kan till av om vi
		du ni så men eller också nu när från hur vad var mvh tack hälsningar hälsning vänliga datorn datorns
		fungerar går ska vill efter sedan bara lite mycket där här hon dem sig sin sina vår ingen inget nej
		skärm skärmen behöver hjälp finns blev någon något får fick igen redan dag idag imorgon`)
	englishWords = wordSet(`the and is my not it hello please you to of for with this that have has be are was
		can will would could do does from at as we your thanks thank regards hi dear but or if there when
		what how an me our they it's i'm don't doesn't won't can't need help computer laptop screen works
		working again today any some just also been`)
	// otherWords are frequent German, French, Spanish and Dutch words; when they dominate, the mail is
	// in neither language (German ä and ö would otherwise count as Swedish).
	otherWords = wordSet(`und der die das ist nicht ich sie wir mit auf ein eine einen dem den zu von bitte
		le la les et est pour par une des du que qui vous nous avec dans sur pas
		el los las es por para una con del muy gracias het een van niet ik wij zijn`)
)

func wordSet(words string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.Fields(words) {
		set[w] = true
	}
	return set
}

// DetectLanguage tells Swedish ("sv") from English ("en") by counting frequent words of each language,
// with å, ä and ö counting towards Swedish. It returns "" when the text has too few telling words or is
// mostly in another language.
func DetectLanguage(text string) string {
	if len(text) > 20000 {
		text = text[:20000]
	}
	sv, en, other := 0, 0, 0
	for _, w := range words(text) {
		switch {
		case otherWords[w]:
			other++
		case swedishWords[w]:
			sv++
		case englishWords[w]:
			en++
		case strings.ContainsAny(w, "åäö"):
			sv++
		}
	}
	switch {
	case sv+en < 3, other >= sv && other >= en:
		return ""
	case sv > en:
		return "sv"
	case en > sv:
		return "en"
	}
	return ""
}

// words splits text into lower-case words, keeping apostrophes inside words ("don't"). Addresses and
// links are dropped: their parts are not language.
func words(text string) []string {
	var out []string
	for _, field := range strings.Fields(strings.ToLower(strings.ReplaceAll(text, "’", "'"))) {
		if strings.Contains(field, "@") || strings.Contains(field, "://") || strings.HasPrefix(field, "www.") {
			continue
		}
		for _, w := range strings.FieldsFunc(field, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
		}) {
			if w = strings.Trim(w, "'"); w != "" {
				out = append(out, w)
			}
		}
	}
	return out
}
