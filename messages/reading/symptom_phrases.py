"""Symptom phrases (moved to the vocabulary files in the next step)."""
from __future__ import annotations

import re

# ---------------------------------------------------------------------------------------------
# Symptoms and denials

_SYMPTOM_PATTERNS = {
    "confusion": r"confused|confusion|confusing\s+things|disoriented|disorientated|foggy|brain\s+fog|"
                 r"mixed\s+up|can'?t\s+think(?:\s+straight)?|not\s+thinking\s+(?:straight|clearly)|"
                 r"confundid[oa]s?|confus[oa]s?|desorientad[oa]|no\s+pienso\s+bien|no\s+se\s+donde\s+estoy|"
                 r"no\s+puedo\s+pensar(?:\s+bien|\s+claro)?|no\s+(?:puede|pudo)\s+pensar|"
                 r"(?:don'?t|doesn'?t|didn'?t|do\s+not|does\s+not)\s+know\s+(?:what\s+(?:day|year|month|time)|"
                 r"where\s+(?:i|he|she|they|we)\s+(?:am|is|are|was|were)|who\s+(?:i|he|she|they|we)\s+(?:am|is|are))|"
                 r"(?:don'?t|doesn'?t|didn'?t|do\s+not|does\s+not|can'?t|won'?t)\s+recogni[sz]e|"
                 r"no\s+(?:me\s+|nos\s+|te\s+)?(?:reconoce|reconocio|reconozco)|"
                 r"no\s+sabe\s+(?:donde|que\s+dia|quien|en\s+que)|no\s+se\s+que\s+dia|"
                 r"out\s+of\s+it|(?:not|isn'?t|aren'?t|wasn'?t)\s+making\s+(?:any\s+)?sense|making\s+no\s+sense|"
                 r"talking\s+(?:nonsense|gibberish|funny|strange|weird)|not\s+(?:him|her)self|"
                 r"(?:dice|habla)\s+(?:cosas\s+)?(?:sin\s+sentido|incoherencias)|incoherente",
    "weakness": r"weak(?:ness|ened)?|no\s+strength|can'?t\s+(?:stand|walk|get\s+up)|debil(?:idad)?|"
                r"sin\s+fuerzas?|no\s+tengo\s+fuerzas?|flojera|flojo|floja|"
                r"can\s+(?:barely|hardly|scarcely)\s+(?:walk|stand|move|get\s+up|lift)|"
                r"(?:barely|hardly|not)\s+able\s+to\s+(?:walk|stand|get\s+up)|unable\s+to\s+(?:walk|stand|get\s+up)|"
                r"no\s+(?:puedo|puede|pude|pudo|podia)\s+(?:caminar|andar|levantarme|levantarse|pararme|pararse|"
                r"moverme|moverse|ponerme\s+de\s+pie|ponerse\s+de\s+pie|sostenerme|sostenerse)|"
                r"legs?\s+(?:gave|give|giving|gives|keep\s+giving)\s+(?:out|way)|"
                r"(?:keep|kept|keeps|keeping)\s+falling(?:\s+down)?|collaps(?:e|ed|es|ing)|"
                r"se\s+me\s+doblan\s+las\s+piernas|me\s+(?:sigo\s+cayendo|caigo)|se\s+desplomo|me\s+desplome",
    "dizziness": r"dizzy|dizziness|light\s*-?\s*headed(?:ness)?|lighthead|vertigo|woozy|"
                 r"room\s+(?:is\s+)?spinning|(?:feel|feeling|felt|very|so|a\s+bit|little)\s+faint|faint(?:ness)?|mareos?|mareado?s?|mareada?s?|"
                 r"me\s+da\s+vueltas\s+la\s+cabeza|(?:todo\s+)?me\s+da\s+vueltas(?:\s+todo)?|todo\s+da\s+vueltas|"
                 r"(?:head|room|everything|world)\s+(?:is\s+|keeps\s+|was\s+|starts\s+)?spinning|"
                 r"off\s+balance|unsteady|wobbly|los(?:ing|t|e)\s+(?:my\s+|his\s+|her\s+)?balance|"
                 r"(?:pierdo|perdi|pierde|perdio|sin)\s+(?:el\s+)?equilibrio|"
                 # about to faint: dizziness; with standing it is orthostatic too (_STANDING)
                 r"(?:feel(?:s|ing)?\s+like\s+(?:i'?m\s+|i\s+am\s+)?(?:going\s+to\s+|gonna\s+|about\s+to\s+)?|"
                 r"(?:going|about)\s+to\s+|gonna\s+|almost\s+|nearly\s+)"
                 r"(?:pass(?:ing)?\s+out|faint(?:ing)?|black(?:ing)?\s+out)|passing\s+out|"
                 r"vision\s+(?:goes|went|going|gets|got|turns|turned|is\s+going)\s+(?:dark|black|grey|gray|white)|"
                 r"(?:everything|it\s+all)\s+(?:goes|went|going|turns|turned)\s+(?:dark|black)|"
                 r"(?:seeing|see|saw)\s+stars|gr[ae]y(?:ing|ed)\s+out|"
                 r"(?:siento\s+que\s+)?me\s+(?:voy|iba)\s+a\s+desmayar|ganas\s+de\s+desmayarme|"
                 r"se\s+me\s+(?:nubla|nublo|oscurece|oscurecio|pone\s+negra|puso\s+negra)\s+la\s+vista|"
                 r"veo\s+(?:estrellitas|estrellas|todo\s+negro)",
    # Nearly fainting; fainting itself is `syncope` (below), orthostatic too when standing is said.
    "orthostatic": r"(?:almost|nearly)\s+(?:fainted|passed\s+out|blacked\s+out)|casi\s+me\s+desmay[oe]|"
                   r"siento\s+que\s+me\s+desmay[oe]",
    "chills": r"chills|chilly|chilled|shivering|shivers|shaking|rigors|freezing|feel\s+cold|feeling\s+cold|"
              r"escalofrios?|temblores|temblando|tengo\s+frio|mucho\s+frio",
    "shortness_of_breath": r"short(?:ness)?\s+of\s+breath|sob|can'?t\s+(?:catch\s+my\s+)?breathe?|"
                           r"(?:hard|difficult|trouble|difficulty|struggling)\s+(?:to\s+)?breath(?:e|ing)?|"
                           r"breathless|out\s+of\s+breath|winded|unable\s+to\s+breathe|"
                           r"falta\s+(?:de\s+)?aire|me\s+falta\s+el\s+aire|no\s+puedo\s+respirar|"
                           r"(?:dificultad|me\s+cuesta)\s+(?:para\s+)?respirar|me\s+ahogo|ahogo|ahogad[oa]",
    "nausea": r"nausea|nauseous|nauseated|queasy|sick\s+to\s+my\s+stomach|vomit(?:ing|ed)?|threw\s+up|"
              r"throwing\s+up|throw\s+up|nauseas?|vomito|vomitando|vomite|ganas\s+de\s+vomitar|asco",
    "rash": r"rash(?:es)?|hives|red\s+spots|itchy\s+skin|sarpullido|salpullido|erupcion|ronchas|"
            r"manchas\s+rojas",
    "headache": r"headaches?|head\s+ache|head\s+(?:hurts|is\s+pounding|pain)|migraine|dolor\s+de\s+cabeza|"
                r"me\s+duele\s+la\s+cabeza|migrana|jaqueca|cefalea",
    "myalgia": r"(?:body|muscle|muscular)\s+(?:aches?|pains?|hurts?)|aches|aching|achy|sore\s+muscles|"
               r"muscles?\s+(?:are\s+)?(?:sore|hurt|ache)|myalgias?|body\s+hurts|everything\s+hurts|"
               r"dolor(?:es)?\s+(?:muscular(?:es)?|de\s+cuerpo|en\s+el\s+cuerpo|de\s+musculos)|"
               r"me\s+duele\s+(?:todo\s+)?el\s+cuerpo|me\s+duelen\s+los\s+musculos|cuerpo\s+cortado",
}

# Neurotoxicity signs (ICANS; SOP 4 Workup, "Assess for concurrent symptoms of neurotoxicity";
# ASTCT consensus, Lee et al. 2019), as a patient or the person with them writes them. Disorientation
# and a change of behaviour others notice are `confusion` (above and in _BEHAVIOUR_CHANGE). One list a
# sign, English first, then Spanish; issue 14 turns these lists into data files.
_NEURO_PATTERNS = {
    # depressed level of consciousness: very drowsy, hard to wake or keep awake (plain "tired",
    # "sleepy" or "a bit drowsy" is not: fatigue after a dose is common and not a red flag)
    "somnolence": [
        r"(?:very|so+|really|extremely|super|too|abnormally|unusually|excessively)\s+(?:drowsy|sleepy)",
        r"excessive\s+(?:drowsiness|sleepiness)|somnolent|somnolence|lethargic",
        r"(?:hard|difficult|impossible)\s+to\s+(?:wake|rouse|arouse|keep\s+awake)(?:\s+(?:him|her|them|me))?(?:\s+up)?",
        r"(?:can'?t|cannot|couldn'?t|could\s+not|unable\s+to)\s+(?:wake|rouse)\s+(?:him|her|them|me|my\s+\w+)(?:\s+up)?",
        r"(?:can'?t|cannot|couldn'?t|unable\s+to)\s+(?:stay|keep\s+(?:him|her|them|myself))\s+awake",
        r"(?:can'?t|cannot|can\s+barely|can\s+hardly)\s+keep\s+(?:my|his|her|their)\s+eyes\s+open",
        r"(?:won'?t|wouldn'?t|will\s+not|doesn'?t|does\s+not)\s+wake(?:\s+up)?|not\s+waking(?:\s+up)?",
        r"(?:keeps?|kept)\s+(?:falling\s+asleep|dozing\s+off|nodding\s+off)",
        r"(?:sleeping|sleeps|slept)\s+all\s+(?:day|the\s+time)",
        r"unresponsive|not\s+responding(?!\s+to\s+(?:texts?|messages?|calls?|the\s+phone))",
        (r"muy\s+(?:dormid[oa]|somnolient[oa]|adormilad[oa]|aletargad[oa])|somnolient[oa]|somnolencia|"
        r"aletargad[oa]|(?:tengo|tiene)\s+mucho\s+sueno"),
        r"no\s+(?:se\s+)?(?:lo\s+|la\s+)?(?:puedo|puede|podemos|pudimos|logro|logramos)\s+despertar(?:lo|la|se|me)?",
        r"no\s+se\s+despierta|no\s+despierta|(?:le|me|nos)\s+cuesta\s+(?:mucho\s+)?despertar(?:lo|la|se|me)?",
        r"no\s+(?:se\s+)?(?:puede|puedo)\s+mantener(?:se|me)?\s+despiert[oa]|se\s+queda\s+dormid[oa]",
        (r"duerme\s+todo\s+el\s+(?:dia|tiempo)|no\s+responde(?!\s+(?:a\s+)?(?:los|mis|sus|el|al)\s+"
        r"(?:mensajes?|textos?|telefono|celular|llamadas?))"),
    ],
    # expressive or receptive language trouble (aphasia): slurred speech, cannot find or say words,
    # does not understand what is said ("talking nonsense" stays `confusion`)
    "speech_difficulty": [
        r"slurr(?:ed|ing)(?:\s+(?:his|her|my|their)?\s*(?:speech|words))?|aphasia|aphasic|garbled\s+speech",
        r"speech\s+(?:is\s+|was\s+|sounds?\s+|seems?\s+)?(?:slurred|garbled|slow|strange|weird|funny|off|different|wrong)",
        (r"(?:can'?t|cannot|couldn'?t|unable\s+to|hard\s+to|trouble|difficulty|struggling\s+to|struggles\s+to)\s+"
        r"(?:find|finding|get|getting|say|saying)\s+(?:the\s+|his\s+|her\s+|my\s+|their\s+)?(?:right\s+)?words(?:\s+out)?"),
        r"words\s+(?:are\s+|were\s+|come\s+|came\s+|coming\s+)?(?:out\s+)?(?:wrong|jumbled|mixed\s+up|garbled)",
        (r"(?:can'?t|cannot|couldn'?t|unable\s+to|hard\s+to|trouble|difficulty|struggling\s+to)\s+"
        r"(?:speak|speaking|talk|talking)(?!\s+(?:right\s+)?now|\s+(?:to|on|at|long|much|with)\b)"),
        (r"(?:doesn'?t|does\s+not|didn'?t|can'?t|cannot)\s+understand\s+(?:me|us|what\s+(?:i|we|you|people)\s+"
        r"(?:say|said|am\s+saying|are\s+saying)|anything|(?:simple\s+)?(?:questions|words))"),
        (r"habla\s+(?:muy\s+)?(?:arrastrad[oa]|arrastrando|enredad[oa]|trabad[oa]|rar[oa]|chistoso|mocha)|"
        r"arrastra\s+(?:las\s+palabras|la\s+lengua)|(?:se\s+le|se\s+me)\s+traba\s+la\s+lengua|lengua\s+trabada"),
        r"no\s+(?:le|me)\s+salen\s+las\s+palabras|no\s+(?:encuentra|encuentro)\s+(?:las\s+)?palabras",
        (r"(?:no|apenas)\s+(?:puede|puedo|pudo|pude)\s+hablar(?!\s+(?:ahora|ahorita|por\s+telefono|con\b))|"
        r"(?:le|me)\s+cuesta\s+(?:mucho\s+)?hablar|dificultad\s+para\s+hablar|afasia"),
        (r"no\s+(?:entiende|entendia)\s+(?:lo\s+que\s+(?:le\s+)?(?:digo|decimos|dicen|hablamos)|nada|las\s+preguntas)|"
        r"no\s+se\s+le\s+entiende"),
    ],
    # dysgraphia, the ICE score's writing item: handwriting changed, or cannot write
    "writing_difficulty": [
        (r"handwriting\s+(?:is\s+|has\s+|looks\s+|seems\s+|got\s+|became\s+|went\s+|is\s+all\s+)?(?:really\s+|very\s+)?"
        r"(?:changed|different|messy|shaky|weird|strange|off|bad|worse|wrong|illegible|unreadable|sloppy|scribbles?)"),
        r"(?:change|changes)\s+(?:in|to)\s+(?:his|her|my|their)\s+handwriting|dysgraphia",
        (r"(?:can'?t|cannot|couldn'?t|unable\s+to|hard\s+to|trouble|difficulty|struggling\s+to|struggles\s+to)\s+"
        r"(?:write|writing)(?!\s+(?:back|you|to|texts?|messages?|more|much|long|it\s+down|down|a\s+(?:text|message)|now)\b)"),
        (r"(?:la\s+)?letra\s+(?:le\s+|me\s+|se\s+le\s+|se\s+me\s+)?(?:cambio|sale\s+(?:rara|mal|fea|chueca)|"
        r"esta\s+(?:rara|diferente|fea|temblorosa)|es\s+diferente|se\s+ve\s+(?:rara|diferente))"),
        (r"(?:no|apenas)\s+(?:puede|puedo|pudo|pude)\s+escribir(?!\s+(?:mas|mensajes?|textos?|le|les|te|ahora)\b)|"
        r"(?:le|me)\s+cuesta\s+(?:mucho\s+)?escribir|dificultad\s+para\s+escribir|escribe\s+(?:muy\s+)?(?:raro|mal|diferente)"),
    ],
    # new tremor; shaking hands that come with chills are the chills (see _SHAKING_HANDS)
    "tremor": [
        r"tremors?|tremulous|tremoring|temblor(?:es)?\s+(?:en|de)\s+(?:las\s+|la\s+|sus\s+|mis\s+)?manos?|temblor\s+fino",
    ],
    "seizure": [
        (r"seizures?|seizing|seized(?!\s+up)|convuls(?:ion|ions|ing|ed|es|e)|epileptic\s+(?:fit|attack|episode)s?|"
        r"grand\s+mal"),
        r"(?:had|having|has|have|is\s+having|was\s+having)\s+(?:a\s+|another\s+)?fits?",
        (r"convulsion(?:es)?|convulsiono|convulsionando|convulsiona|crisis\s+convulsivas?|"
        r"ataques?\s+(?:epileptic[oa]s?|de\s+epilepsia)"),
    ],
    # loss of consciousness; "about to faint" and "feel faint" stay dizziness, "almost fainted" orthostatic
    "syncope": [
        r"(?<!almost\s)(?<!nearly\s)(?:fainted|faints|fainting|passed\s+out|passes\s+out|blacked\s+out|blacks\s+out)",
        r"(?<!to\s)(?<!gonna\s)(?<!almost\s)(?<!nearly\s)(?:pass|black)\s+out(?!\s+of\b)",
        r"(?:keeps?|kept)\s+(?:fainting|passing\s+out|blacking\s+out)|fainting\s+(?:spells?|episodes?)",
        r"los(?:t|es|ing)\s+consciousness|went\s+unconscious|was\s+unconscious|knocked\s+out",
        r"(?<!casi\sme\s)(?<!casi\sse\s)(?<!que\sme\s)desmay(?:o|os|e|ad[oa])|perd(?:i|io)\s+el\s+(?:conocimiento|sentido)",
    ],
}
# Shaking hands are chills when the text reports chills too ("chills, hands shaking"): rigors shake.
_SHAKING_HANDS = [
    (r"(?:hands?|arms?)\s+(?:are\s+|is\s+|keep\s+|keeps\s+|have\s+been\s+|started\s+|won'?t\s+stop\s+)?"
    r"(?:shaking|trembling|shaky|shake|tremble|twitching|jerking)"),
    r"(?:shaking|trembling|shaky|twitchy)\s+(?:hands?|arms?)",
    r"(?:me|le|les)\s+tiembla(?:n)?\s+(?:las\s+|la\s+)?manos?|manos?\s+temblorosas?|(?:las\s+)?manos\s+(?:le\s+|me\s+)?tiemblan",
]
_SHAKING_HANDS_RE = re.compile(rf"\b(?:{'|'.join(_SHAKING_HANDS)})\b")

# Signs that stand for a measurement the patient cannot make. Breathing fast or struggling to breathe
# joins `shortness_of_breath` (already urgent as the bedside sign of hypoxia); blue or grey lips or
# fingertips are `cyanosis`.
_BEDSIDE_PATTERNS = {
    "shortness_of_breath": [
        r"(?:breathing|breathes|breath)\s+(?:really\s+|very\s+|so\s+|too\s+)?(?:fast|quick(?:ly)?|rapid(?:ly)?|heavy|heavily|hard)",
        r"(?:rapid|fast|quick|labou?red|heavy)\s+breathing|panting|gasping(?:\s+for\s+(?:air|breath))?",
        r"respira(?:r|ndo)?\s+(?:muy\s+)?(?:rapido|rapidito|agitad[oa]|fuerte)|respiracion\s+(?:rapida|agitada)|jadea(?:ndo)?",
        r"(?:le|nos)\s+cuesta\s+respirar|no\s+(?:puede|pudo)\s+respirar|lucha\s+por\s+respirar|boqueando",
    ],
    "cyanosis": [
        r"cyanosis|cyanotic|(?:blue|bluish|grey|gray|purple|dusky)\s+(?:lips|fingers|fingertips|fingernails|nails|face|mouth)",
        (r"(?:lips|fingers|fingertips|fingernails|nails|face|mouth|skin)\s+(?:are\s+|is\s+|look\s+|looks\s+|looking\s+|"
        r"turned\s+|turning\s+|going\s+|went\s+|gone\s+|seem\s+|seems\s+|got\s+|getting\s+)?(?:kind\s+of\s+|a\s+bit\s+|"
        r"a\s+little\s+|very\s+|really\s+)?(?:blue|bluish|grey|gray|greyish|grayish|purple|purplish|dusky)"),
        r"turn(?:ed|ing|s)?\s+blue|going\s+blue",
        (r"cianosis|(?:labios|dedos|unas|boca|cara)\s+(?:(?:se\s+)?(?:le\s+|me\s+)?(?:estan|se\s+ven|pusieron|ponen|"
        r"se\s+pusieron|se\s+estan\s+poniendo)\s+)?(?:morad[oa]s?|moradit[oa]s|azul(?:es)?|azulad[oa]s?|gris(?:es)?|grisace[oa]s?)"),
    ],
}
# A change of behaviour someone else notices is how caregivers describe confusion; not knowing the
# date, the place or people (disorientation, ICE's orientation items) is confusion too.
_BEHAVIOUR_CHANGE = [
    r"not\s+(?:acting|behaving|being)\s+(?:like\s+)?(?:him|her|them|my)sel(?:f|ves)|(?:isn'?t|is\s+not)\s+(?:him|her)self",
    (r"(?:acting|behaving)\s+(?:very\s+|really\s+|so\s+|kind\s+of\s+)?(?:strange(?:ly)?|weird(?:ly)?|odd(?:ly)?|funny|"
    r"different(?:ly)?|bizarre|off|out\s+of\s+character|not\s+right|confused)"),
    (r"(?:keeps?|kept)\s+(?:on\s+)?(?:repeating|asking)\s+(?:him|her|them)sel(?:f|ves)|repeating\s+(?:him|her|them)sel(?:f|ves)|"
    r"(?:keeps?|kept)\s+(?:repeating|asking)\s+(?:the\s+same|the\s+same\s+(?:thing|question)s?)|"
    r"asks?\s+the\s+same\s+(?:thing|question)s?\s+(?:over\s+and\s+over|again\s+and\s+again)"),
    r"(?:doesn'?t|does\s+not|didn'?t|can'?t|don'?t)\s+(?:know|remember)\s+(?:what\s+)?(?:the\s+|today'?s\s+)?(?:date|day|year|month)",
    (r"(?:doesn'?t|does\s+not|didn'?t)\s+know\s+(?:his|her|their)\s+(?:own\s+)?name|"
    r"(?:doesn'?t|does\s+not|didn'?t)\s+know\s+who\s+(?:i|we|you)\s+(?:am|are)"),
    (r"no\s+(?:es|esta|parece)\s+(?:el|la)\s+mism[oa]|(?:actua|esta\s+actuando|se\s+comporta|se\s+esta\s+comportando|anda)\s+"
    r"(?:muy\s+)?(?:rar[oa]|extran[oa]|diferente)"),
    (r"repite\s+(?:y\s+repite\s+)?(?:lo\s+mismo|las\s+mismas\s+cosas|las\s+cosas|todo)|pregunta\s+lo\s+mismo|"
    r"no\s+sabe\s+(?:la\s+fecha|el\s+dia|en\s+que\s+(?:ano|mes|dia)|su\s+nombre|quien\s+soy|quienes\s+somos)|"
    r"no\s+se\s+ubica|desubicad[oa]"),
]


# About to faint, said with a modal ("I might pass out"): dizziness, like "going to pass out" above.
_NEAR_FAINT = [r"(?:might|could|will|may|would|'ll)\s+(?:pass|black)\s+out"]


def _merged_patterns() -> dict[str, str]:
    merged = dict(_SYMPTOM_PATTERNS)
    merged["dizziness"] += "|" + "|".join(_NEAR_FAINT)
    merged["confusion"] += "|" + "|".join(_BEHAVIOUR_CHANGE)
    for code, patterns in _BEDSIDE_PATTERNS.items():
        merged[code] = (merged[code] + "|" if code in merged else "") + "|".join(patterns)
    for code, patterns in _NEURO_PATTERNS.items():
        merged[code] = "|".join(patterns)
    merged["tremor"] += "|" + "|".join(_SHAKING_HANDS)
    return merged
