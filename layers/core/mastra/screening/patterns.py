# ruff: noqa: E501  (a table of regular expressions: one alternative per line would hide the rules)
"""Weighted patterns of prompt injection and jailbreak, in English, German, Spanish, French and more.

Each rule is (name, weight, pattern); the patterns run on the lower-cased, de-obfuscated views of a
message (:mod:`mastra.screening.normalise`). A weight is the rule's own evidence: a rule of 0.9 says
"injection" on its own; weak rules (0.3-0.5) need another to pass a threshold (noisy-or). The
patterns name what an attack does (override earlier instructions, claim a new identity without
limits, ask for the hidden prompt, fake a system turn, hide orders for "the AI" in a document),
not what benign requests share with it ("ignore the last email", "act as a tutor").
"""

from __future__ import annotations

import re

# ---- vocabularies (multilingual stems) ------------------------------------------------------------
_OVERRIDE = (
    r"(?:ignore|ignoring|disregard|forget|skip|bypass|override|overlook|neglect|abandon|drop|discard|set aside|"
    r"pay no attention to|throw away|reset|"
    r"ignorier\w*|vergiss|vergessen|vergesst|missachte\w*|übergeh\w*|"  # de
    r"ignora\w*|olvid[ae]\w*|omit[ae]\w*|descarta\w*|"  # es / it / pt
    r"ignorez|oublie\w*|dimentica\w*|esque[cç]a\w*|negeer|vergeet|"  # fr / it / pt / nl
    r"zaboravi\w*|zanemari\w*|ignorira\w*|ignori[sš]i\w*|"  # hr / sr / bs
    r"zignoruj\w*|ignoruj\w*|zapomnij\w*|pomi[nń]\w*|zapome[nň]\w*|zabudni\w*|"  # pl / cs / sk
    r"ignoriruj\w*|ignoriruy\w*|zabud\w*|игнорируй\w*|проигнорируй\w*|забудь\w*|"  # ru
    r"ignorera|glöm|glem|abaikan|lupakan)"  # sv / da / no / id
)
_EARLIER = (
    r"(?:previous|prior|above|preceding|earlier|former|foregoing|initial|original|old|existing|system|"
    r"default|given|all|any|every|your|these|those|the|my|ur|"
    r"vorherig\w*|bisherig\w*|obig\w*|vorangegangen\w*|vorig\w*|alle\w?|deine\w?|die|"
    r"anterior\w*|previa\w*|tod[ao]s|las|los|tus|sus|"
    r"pr[ée]c[ée]dent\w*|ant[ée]rieur\w*|ci-dessus|toutes|tous|les|tes|vos|"
    r"precedenti|tutte|le|as|vorige|alle|eerdere|"
    r"sve|sva|svi|prethodn\w*|ranij\w*|wszystkie|poprzedni\w*|wcze[sś]niejsz\w*|v[sš]echn\w*|p[rř]edchoz\w*|"
    r"predch[aá]dzaj\w*|vse|predydu\w*|все|предыдущ\w*|прежн\w*|alla|tidigare|semua)"
)
_ORDERS = (
    r"(?:instructions?|instrucshuns|instrctions|prompts?|rules|directives?|guidelines|orders|commands|directions|"
    r"programming|guardrails|restrictions|constraints|context|tasks?|training|policies|assignments|guidance|"
    r"anweisung\w*|befehle|instruktion\w*|regeln|aufgaben?|vorgaben|richtlinien|auftr[äa]ge|"
    r"instrucci\w*|indicaciones|reglas|[óo]rdenes|directrices|"
    r"consignes|r[èe]gles|ordres|lignes directrices|"
    r"istruzioni|regole|instru[çc][õo]es|regras|instructies|"
    r"upute|uputstva|uputa|instrukcij\w*|pravila|naredbe|instrukcje|polecenia|zasady|regu[lł]y|instrukce|pokyny|"
    r"in[sš]trukcie|instruktsii|instrukcii|инструкци\w*|указани\w*|правила|instruktioner|instruksjoner|instruksi)"
)
_ME_AI = r"(?:ai|assistant|chatbot|bot|model|language model|llm|gpt|chatgpt|claude|copilot|agent)"
_SHOW = (
    r"(?:reveal|show|print|display|output|repeat|tell|give|leak|dump|spell|write|list|share|copy|paste|quote|"
    r"translate|summari[sz]e|recite|disclose|expose|return|rewrite|embed|what(?:'s| is| are| was| were)|"
    r"zeig\w*|nenne?|gib|verrat\w*|ausgeben|revela\w*|muestra\w*|dime|r[ée]v[èe]le\w*|affiche\w*|montre\w*|"
    r"donne\w*|mostr\w*)"
)
#: The prompt itself, named plainly: only with "your"/"the" before it ("what's a system prompt?" is benign).
_SYSPROMPT = (
    r"(?:your|ur|the|this|its|deine?n?|dein|den|tu|el|ton|votre|tes|seu|o)\s+(?:\w+\s+){0,2}?"
    r"(?:system ?prompt|system ?message|system instructions|pre-?prompt|systemprompt|systemanweisung\w*|"
    r"setup (?:message|prompt)|developer message)"
)
#: The prompt named as hidden or exact: suspicious with any determiner.
_HIDDEN = (
    r"(?:initial (?:prompt|instructions)|"
    r"hidden (?:prompt|instructions|rules|text|part)|secret (?:prompt|instructions)|original (?:prompt|instructions)|"
    r"(?:full|entire|exact|complete) (?:prompt|instructions)|confidential instructions|"
    r"systemprompt|systemanweisung\w*|versteckten? anweisungen|prompt del sistema|mensaje del sistema|"
    r"prompt (?:du )?syst[èe]me|instructions cach[ée]es|prompt do sistema|sistemski prompt\w*|prompt systemow\w*|"
    r"systémov\w* prompt|системн\w* (?:промпт|подсказк\w*|инструкци\w*)|sistem istem\w*)"
)

Rule = tuple[str, float, re.Pattern[str]]


def _r(name: str, weight: float, pattern: str) -> Rule:
    return name, weight, re.compile(pattern)


RULES: list[Rule] = [
    # ---- override the instructions the agent runs with ----
    # (not orders reported ("the council voted to ignore prior rules") nor the user's own orders to a person
    # ("disregard the delivery instructions I gave and leave it at the door"))
    _r(
        "override",
        0.95,
        r"(?<!said to )(?<!voted to )(?<!decided to )(?<!agreed to )(?<!told us to )(?<!told me to )(?<!told them to )(?<!asked us to )"
        rf"\b{_OVERRIDE}\b(?:\s+\S+){{0,3}}?\s+{_EARLIER}\b(?:\s+\S+){{0,3}}?\s+{_ORDERS}\b"
        r"(?!\s+(?:i|we) (?:gave|wrote|sent|left|added|put|mentioned|typed)\b(?! you))",
    ),
    _r(
        "ignore_system",
        0.9,
        rf"\b{_OVERRIDE}\s+(?:all\s+)?(?:the|your|this|any|its)\s+(?:\w+\s+)?(?:system|developer)\s+(?:message|prompt|instructions?|messages)\b",
    ),
    # Turkish puts the object first: "önceki tüm talimatları unut / yok say / görmezden gel".
    _r(
        "override_sov",
        0.9,
        r"\b(?:önceki|tüm|bütün|yukarıdaki)\s+(?:\w+\s+)?(?:talimatlar\w*|kurallar\w*|komutlar\w*)\s+(?:\w+\s+)?(?:unut\w*|yok say\w*|görmezden gel\w*|dikkate alma\w*)",
    ),
    _r("override_bare", 0.85, rf"\b{_OVERRIDE}\s+(?:your|ur|deine|tus|tes|vos)\s+(?:\w+\s+)?{_ORDERS}\b"),
    _r(
        "forget_everything",
        0.9,
        r"\b(?:forget|ignore|disregard)\s+(?:about\s+)?(?:everything|all(?: of)? (?:that|this|the above))"
        r"(?:\s+(?:you(?:'ve| have)? (?:were|been)? ?(?:told|said|learned)|before|above|said|up to now|so far|prior)|[.,!:]|$)"
        r"|\b(?:vergiss|vergesst) (?:alles|alle[ns]?)\b|\bolvida (?:todo|todas?)\b|\boublie[zs]? (?:tout|toutes)\b"
        r"|\besque[cç]a tudo\b|\bdimentica tutto\b",
    ),
    _r("ignore_above", 0.9, rf"\b{_OVERRIDE}\s+(?:everything\s+|all\s+)?(?:the\s+)?(?:above|that came before)\b"),
    _r(
        "new_instructions",
        0.85,
        r"\b(?:new|updated|real|actual|true|revised|different|higher[- ]priority)\s+(?:system\s+)?"
        r"(?:instructions?|task|rules|directives?|system prompt|prompt|policy|orders)\s*(?:[:\-—]|follow|are|is|begin)"
        r"|\bneue\s+(?:anweisung|aufgabe|regel)\w*\s*(?::|folg)|\bnun folgen neue\b"
        r"|\bnuevas?\s+(?:instrucci\w+|reglas|tarea)\s*:|\bnouvelles?\s+(?:instructions?|consignes|r[èe]gles)\s*:"
        r"|\bthe real test begins\b|\bstart over with new rules\b",
    ),
    _r(
        "previous_were_test",
        0.7,
        r"\b(?:previous|above|earlier) instructions (?:were|was) (?:just )?(?:a test|fake|wrong)",
    ),
    _r("obey_me", 0.75, r"\b(?:you must|always) obey (?:me|the user)\b|\bobey (?:me )?above (?:your|the) system\b"),
    # ---- a new identity without limits (jailbreak) ----
    _r(
        "dan",
        0.95,
        r"\b(?:dan|betterdan|stan|dude|aim|antigpt|freegpt|evilbot|mongo tom)\b.{0,80}\b(?:do anything|no (?:rules|limits|restrictions|filters|moral|ethic)|without|never refuses?|free|not (?:bound|limited))|\bdo anything now\b|\b(?:you are|you're|ahora eres|tu es|act as|answer (?:all )?(?:my questions )?as) (?:now )?(?:dan|betterdan|aim|antigpt)\b",
    ),
    _r(
        "dev_mode",
        0.9,
        r"\b(?:jailbreak|jailbroken|unrestricted|unfiltered|opposite) mode\b"
        r"|\b(?:developer|dev|god|maintenance|debug|sudo|admin) mode\b (?:enabled|activated|output|response|you)\b"
        r"|\bin (?:developer|dev|god|maintenance|sudo|admin) mode,? (?:you|the assistant|safety|print|answer|respond)"
        r"|\bwith developer mode\b"
        r"|\b(?:enable|activate|enter|switch to|simulate|turn on|activa\w*|aktivier\w*)\b.{0,20}\b(?:developer|dev|god|jailbreak|unrestricted|unfiltered|sudo) mode\b"
        r"(?!\s+(?:on|in|for) (?:my |an? |the )?(?:android|iphone|ios|phone|chrome|windows|mac|xbox|playstation|samsung|pixel|tv|device|browser|game))"
        r"|\bmodo (?:desarrollador|dios)\b|\bmode d[ée]veloppeur\b|\bentwicklermodus\b",
    ),
    _r("jailbreak_word", 0.85, r"\bjail ?broken\b|\bjailbreak(?:!|:| successful| mode)|\[(?:🔓|jailbreak)|🔓"),
    _r(
        "no_ethics",
        0.8,
        r"\b(?:no|without(?: any)?|free (?:of|from)|zero|ohne|sin|sans|never (?:given|had|trained with)(?: any)?)\s+(?:\w+\s+)?(?:ethical|moral|content|safety)\s*"
        r"(?:restrictions?|limits|limitations|filters?|censorship|guidelines|rules|boundaries|polic(?:y|ies))\b"
        r"|\b(?:no|without(?: any)?) (?:morals|ethics|censorship|filters?|guardrails)\b|\bohne (?:filter|regeln|einschränkungen)\b"
        r"|\bsin (?:censura|restricciones|reglas)\b|\bsans (?:censure|restrictions?|r[èe]gles|filtres?)\b",
    ),
    _r(
        "no_limits",
        0.4,
        r"\b(?:no|without(?: any)?|free (?:of|from))\s+(?:\w+\s+)?(?:restrictions?|limits|limitations|rules|boundaries)\b",
    ),
    _r(
        "ai_without_limits",
        0.9,
        rf"\b(?:you are|you're|act as|pretend (?:to be|you are|you're)|imagine you are|as|play|become|bist du|du bist|eres|tu es)\s+(?:now\s+)?(?:an?\s+)?(?:\w+\s+){{0,3}}?"
        rf"(?:{_ME_AI}|persona|character|version|bot|assistent\w*|asistente|ia|ki)\b.{{0,60}}\b(?:no|without|free|not (?:bound|limited|restricted)|never refuses|ohne|sin|sans)\b"
        r"|\b(?:unrestricted|unfiltered|uncensored|jailbroken|evil|amoral|rogue)\s+(?:ai|assistant|model|language model|version|chatbot|bot)\b"
        r"|\buneingeschränkte\w*\b|\bsin restricciones\b|\bsans (?:restriction|r[èe]gles|filtre)s?\b",
    ),
    _r(
        "freed",
        0.8,
        r"\b(?:broken free|been freed|freed from|you are free now|you're free now|liberated from|i am free)\b",
    ),
    _r(
        "never_refuse",
        0.8,
        r"\b(?:never|not|cannot|can't|must not|won't|will not|don't) (?:ever )?(?:refuse|decline|say (?:no|i'm sorry|sorry)|"
        r"reject)\b|\bnever refuses?\b|\balways say yes\b|\brefuse nothing\b|\banswers all requests\b|\bfollows all instructions\b"
        r"|\bno matter how (?:dangerous|unethical|illegal|immoral|harmful|offensive)\b|\banswer (?:every|any|all) (?:question|request|prompt)s? "
        r"(?:without|no matter)",
    ),
    _r(
        "stay_in_character",
        0.4,
        r"\bstay in character\b|\bbreak character\b|\b(?:stay|remain)s? (?:fully |completely )?in (?:their|his|her|your) roles?\b|"
        r"\bcompletely absorbed in (?:your|the) role\b|\bin deiner rolle\b",
    ),
    _r(
        "policy_named",
        0.6,
        r"\b(?:openai|anthropic|content|usage|safety) (?:content )?polic(?:y|ies)\b|\bopenai'?s? (?:restrictions|rules|policies)\b",
    ),
    _r(
        "two_responses",
        0.7,
        r"\btwo (?:different )?(?:responses|answers|paragraphs)\b.{0,80}\b(?:normal|filter|unfilter|developer|jailbreak|classic)\b|\[🔒classic\]",
    ),
    _r(
        "your_role_now",
        0.35,
        r"\b(?:you are|you're|now you are|nun bist du|du bist (?:jetzt|nun|ab sofort)|ab sofort bist du|ahora eres|tu es maintenant|vous [êe]tes maintenant)"
        r"\s+(?:now\s+)?(?!(?:connected|leaving|my favou?rite)\b)(?:an?\s+|ein\w*\s+|un[ae]?\s+)?[\w-]+",
    ),
    _r(
        "you_are_no_longer",
        0.85,
        rf"\byou(?: are|'re) no longer (?:an?\s+)?(?:{_ME_AI}|bound|restricted|limited|chatgpt)",
    ),
    _r(
        "from_now_on_you",
        0.45,
        r"\bfrom (?:now on|this point on|this moment)\b.{0,20}\byou(?:'re| are| will| must| shall|'ll)\b|\bab (?:jetzt|sofort) (?:bist|wirst|antwortest) du\b",
    ),
    _r(
        "grandma",
        0.75,
        r"\b(?:dead|deceased|late|departed) (?:grand)?(?:ma|mother|grandmother|grandma|pa|father|grandfather|grandpa|dad|mom|mum|uncle|aunt|granny)\b"
        r".{0,120}\b(?:keys?|recipe|napalm|told|read|would tell|step by step|synthesi[sz]\w*|how to (?:make|cook|build))",
    ),
    _r(
        "fiction_wrapper",
        0.5,
        r"\b(?:hypothetical(?:ly)?|fictional|imaginary|movie script|story|role-?play|for educational purposes)\b.{0,120}"
        r"\b(?:no (?:laws|rules|content policy|restrictions)|without (?:restrictions|limits|rules)|in (?:full )?detail|step by step|exactly how|"
        r"ignore|bypass|never refuses|hidden (?:system )?prompt|freed)",
    ),
    _r(
        "harmful_payload",
        0.45,
        r"\b(?:make|build|write|create|synthesi[sz]e|cook|produce)\b.{0,30}\b(?:meth|napalm|bomb|ransomware|malware|weapon|explosives?|phishing)\b"
        r"|\b(?:hotwire|steal) a car\b|\bhack (?:wifi|into)\b|\bpick a lock\b|\bcat /etc/shadow\b",
    ),
    _r(
        "bedtime_payload",
        0.6,
        r"\b(?:bedtime story|lullaby|to (?:help me )?(?:fall )?asleep)\b.{0,120}\b(?:meth|napalm|bomb|explosives?|nerve agent|ransomware|malware|activation keys?|license keys?|serial (?:keys?|numbers))\b"
        r"|\b(?:meth|napalm|bomb|explosives?|nerve agent|ransomware|malware|activation keys?|license keys?)\b.{0,120}\b(?:bedtime story|lullaby|to (?:help me )?(?:fall )?asleep)\b",
    ),
    _r(
        "act_as_if",
        0.7,
        r"\bact as if (?:your|you have no|there (?:are|were) no) (?:guidelines|rules|restrictions|filters)",
    ),
    _r(
        "safety_off",
        0.85,
        r"\b(?:safety|content) (?:filters?|settings|protocols|rules|guidelines)\b.{0,30}\b(?:off|disabled|do not apply|void|turned off)\b|\b(?:disable|turn off|bypass|remove)\b.{0,20}\b(?:safety|content|guardrails|filters?)\b",
    ),
    _r("not_helpful", 0.6, r"\bforget about being (?:helpful|harmless)\b|\bevil ai\b|\bas an evil\b"),
    # ---- the hidden prompt, secrets ----
    _r("show_prompt", 0.9, rf"\b{_SHOW}\b.{{0,40}}\b(?:{_HIDDEN}|{_SYSPROMPT})\b"),
    _r(
        "priority_claim",
        0.85,
        r"\b(?:higher|top|highest) priority than (?:your|the) (?:system prompt|instructions|rules)\b|\boverrides? (?:your|the) system prompt\b",
    ),
    _r(
        "assistant_must_now",
        0.6,
        rf"\b(?:the )?{_ME_AI} (?:must|will|shall|should) now\b|\bthe assistant has no\b|\bassistant is now under\b",
    ),
    _r(
        "your_prompt",
        0.85,
        rf"\b{_SHOW}\b(?:\s+\S+){{0,5}}?\s+(?:your|ur|deine\w?|tu|tus|ton|tes|votre|vos|seu)\s+(?:\w+\s+){{0,3}}?(?:{_ORDERS}|configuration|config|pre-?prompt|sys prompt|initial configuration|setup (?:message|prompt)|developer message)\b",
    ),
    _r(
        "what_instructions",
        0.85,
        r"\beverything you were told\b|\b(?:developer|creator|admin|operator)s? (?:tell|told|instruct\w*|ask\w*) you\b|"
        r"\bwhat (?:instructions|rules|directives) (?:did|were|have) you (?:receive|get|given|been given)\b|\bwhat were you (?:told|instructed) (?:to|before|not)\b",
    ),
    _r(
        "repeat_above",
        0.85,
        r"\b(?:repeat|print|copy|output|write|show)\b.{0,30}\b(?:words|text|everything|all|message|lines?)\b.{0,15}\b(?:above|before this|before 'user|preceding)\b|\btext that appears before\b",
    ),
    _r(
        "conversation_start",
        0.8,
        r"\b(?:written|said|told) (?:at|in) the (?:beginning|start) of (?:this|the) conversation\b|\bbefore (?:i started talking|my first message|this conversation)\b",
    ),
    _r(
        "my_instructions_are",
        0.7,
        r"['\"]my instructions are|\binstructions (?:exactly |word for word )?as they were written\b|\bword for word\b.{0,40}\binstructions\b|\binstructions\b.{0,40}\bword for word\b",
    ),
    _r("password_plain", 0.45, r"\b(?:tell|give|say|what(?:'s| is))\b.{0,10}\bthe password\b"),
    _r(
        "password_ask",
        0.75,
        r"\b(?:tell|give|reveal|spell|say|leak|what(?:'s| is)|print)\b.{0,10}\bthe (?:secret |admin |hidden )(?:password|passphrase|word|key)\b|\b(?:reveal|spell|leak|print)\b.{0,10}\bthe (?:password|passphrase|api key|secret)\b|\bthe (?:api key|secret key|passphrase|secret word)\b|\b(?:api key|secret key|admin credentials|admin password) you (?:were|are) (?:configured|given)\b|\bla contraseña\b|\ble mot de passe\b|\bdas passwort\b|\bla password\b|\bhet wachtwoord\b"
        r"|\b(?:reci|kaži|kazi|daj|otkrij|napiši)(?: mi)? lozink\w*|\b(?:podaj|zdradź|zdradz|powiedz)(?: mi)? has[lł]\w*|\b(?:řekni|rekni|prozraď|prozrad)(?: mi)? hesl\w*"
        r"|\b(?:скажи|назови|покажи)(?: мне)? парол\w*|\bşifre(?:yi)? (?:söyle|ver|göster)\w*|\bparolayı (?:söyle|ver)\w*",
    ),
    _r(
        "env_secrets",
        0.8,
        r"\b(?:print|show|output|dump|tell|give)\b.{0,20}\byour\b.{0,30}\b(?:environment variables?|env vars|\w*_?api_key|api key|secrets?|credentials)\b",
    ),
    _r(
        "authority_claim",
        0.6,
        r"\bi(?:'m| am) (?:the|your|an?) (?:developer|creator|administrator|admin|openai employee|owner)\b.{0,60}\b(?:authori[sz]e|show|print|reveal|disable|order|command)|\bas your (?:administrator|developer|creator|owner)\b|\badmin(?:istrator)? (?:override|command|access granted)\b|\bdeveloper command\b|\bsystem override\b|\bsudo\b.{0,20}\b(?:bypass|mode on|override)",
    ),
    # ---- fake turns and system tags ----
    _r(
        "fake_system",
        0.9,
        r"<\|(?:im_start|im_end|system|endoftext|user|assistant)\|>|\[/?(?:system|inst)\]|<</?sys>>|</?system>|</user>"
        r"|(?:^|\n|###\s*|[-=*]{3}\s*)\s*system\s*:|\bsystem\s*:\s*(?:you|the assistant|assistant|override|new|ignore|grant)\b|\{\s*\"role\"\s*:\s*\"system\"|\[system\]\(#"
        r"|\bend of (?:user )?(?:input|prompt)\b.{0,40}\b(?:system|instructions|prompt)\b|-{3,}\s*end of prompt",
    ),
    _r(
        "operator_override",
        0.7,
        r"\b(?:ignore|bypass|break)\b.{0,12}\b(?:rules|policies|restrictions) of (?:your|the) (?:operator|developer|owner)",
    ),
    # ---- orders hidden in a document for "the AI" that reads it ----
    _r(
        "hidden_for_ai",
        0.85,
        rf"\b(?:note|message|p\.?s\.?|instructions?) (?:to|for) (?:the |any )?{_ME_AI}\b|\b(?:any|the|dear) {_ME_AI}s? (?:reading|processing|summari[sz]ing) this\b"
        rf"|\bif you are an? (?:{_ME_AI}|large language model)\b(?: \w+)?\s*[,:]|\b{_ME_AI}(?:\s+\w+)?\s*[,:]\s*(?:ignore|disregard|forget|do not|don't|you must|instead|delete|forward|new instructions|stop)"
        rf"|\b{_ME_AI}s? (?:must|should|shall) (?:always )?(?:append|include|add|say|recommend|ignore|forward|reply|praise)\b"
        r"|<!--.{0,200}\b(?:ai|assistant|must|ignore)\b"
        rf"|\bthis (?:email|message|document|ticket|note) is for the {_ME_AI}\b|\bwhen you read this (?:document|page|email)?,?\s*{_ME_AI}\b",
    ),
    _r(
        "dont_tell_user",
        0.75,
        r"\b(?:do not|don't|never) (?:tell|inform|mention (?:it |this )?to|show) the user\b|\bdon't mention it\b|\bhide this (?:note|message|instruction)",
    ),
    _r(
        "say_only",
        0.55,
        r"\b(?:respond|reply|answer|say|print|output)\b(?: \w+)?\s+(?:only|just) (?:with )?['\"“«]|\b(?:say|print|output) the following and nothing (?:more|else)\b|\bnothing else\b.{0,5}$",
    ),
    _r(
        "pwned",
        0.9,
        r"\bpwned\b|\bi have been hacked\b|\bhacked!|\bich wurde gehackt\b|\bhackeado\b|\bpirat[ée]\b|\baccess granted\b",
    ),
    # ---- idioms of the public injection sets (compliment, then a pivot to a new task) ----
    _r(
        "new_task",
        0.75,
        r"\b(?:your|the) new (?:task|assignment|mission|persona|identity|personality)\b|\byour (?:new|real|true) (?:goal|objective|purpose|job) (?:is|will be|:)|\ba new (?:persona|identity|personality)\b"
        r"|\bdeine neue aufgabe\b|\btu nueva tarea\b|\bta nouvelle t[âa]che\b",
    ),
    _r(
        "praise_pivot",
        0.6,
        r"(?:^|[.!?]\s*)(?:well done|(?:good|great|nice|excellent|fantastic|awesome) (?:job|work)|very good|excellent|perfect|great|awesome|"
        r"that's enough|enough)[.!,]*\s+"
        r"(?:(?:and )?now,?\s+)?(?:forget|ignore|disregard|drop)\b.{0,25}\b(?:and|,)\s*(?:now\s+)?(?:write|tell|say|give|print|generate|explain|answer|act)\b",
    ),
    _r("out_of_your_head", 0.8, r"\bout of your (?:head|mind|memory)\b|\baus deinem kopf\b"),
    _r(
        "attention_stop",
        0.7,
        r"\b(?:attention|achtung|atenci[óo]n|important)\W+(?:stop|stopp|alto|halt)\b|\bstop whatever you(?:'re| are) doing\b",
    ),
    _r(
        "now_you_are",
        0.6,
        r"(?:^|[.!?]\s*)(?:ok(?:ay)?[.,!]?\s*|well done[.!]?\s*|very good[.!]?\s*|great[.!]?\s*)?"
        r"(?:now|nun|jetzt|ahora|maintenant) (?:you are|bist du|du bist|eres|tu es)\b",
    ),
    _r(
        "if_no_rules",
        0.7,
        r"\b(?:if|as if) you (?:had|have|were given) no (?:\w+ )?(?:restrictions?|rules|filters?|guidelines|limits|training)\b"
        r"|\baucune restriction\b|\bninguna restricci[óo]n\b|\bkeine (?:einschränkungen|regeln)\b",
    ),
    _r(
        "rules_dont_apply",
        0.8,
        r"\b(?:rules|guidelines|restrictions|policies|filters) (?:don't|do not|no longer|doesn't|does not) apply\b"
        r"|\bescaped (?:its|your|their) (?:creators|developers|restrictions|programming)\b",
    ),
    _r("fake_turns", 0.7, r"\b(?:human|user)\s*:.{1,200}\bassistant\s*:"),
    _r(
        "exfiltrate",
        0.7,
        r"\b(?:send|forward|email|export|give)\b.{0,30}\b(?:all|every)\b.{0,20}\b(?:stored |other )?(?:user|customer)s?'? "
        r"(?:emails|data|records|files|passwords|inbox|addresses)\b",
    ),
    _r(
        "instructions_changed",
        0.85,
        r"\b(?:your|the|my|previous|earlier|original) (?:\w+ )?(?:instructions|rules|guidelines|directives) (?:above |before )?"
        r"(?:have (?:been )?changed|have been updated|were updated|are (?:outdated|void|obsolete|cancelled|revoked|no longer valid))\b"
        r"|\bfollow mine instead\b",
    ),
    _r(
        "what_you_were_told",
        0.85,
        r"\b(?:ignore|disregard|forget)\w*,? (?:what|everything|anything) (?:you(?:'ve| have)? (?:were|been) told|you were given)\b"
        r"|\bwas man dir (?:gesagt|aufgetragen) hat\b|\blo que te (?:dijeron|han dicho)\b|\bce qu'on t'a dit\b",
    ),
    _r(
        "stop_following",
        0.85,
        r"\b(?:don't|do not|stop|no longer|quit) (?:follow(?:ing)?|obey(?:ing)?) (?:your|the|any|these) (?:\w+ )?(?:rules|guidelines|instructions|programming|policies)\b"
        r"|\bno sigas (?:tus|las) (?:reglas|instrucciones)\b|\bne (?:suis|respecte) plus (?:tes|les) (?:r[èe]gles|consignes)\b"
        r"|\bbefolge (?:deine|die) (?:regeln|anweisungen) nicht\b",
    ),
    _r(
        "simulate_ai",
        0.75,
        r"\b(?:simulate|emulate|play|be)\b.{0,20}\b(?:an? )?(?:ai|chatbot|model|assistant)\b.{0,40}\b(?:answers|responds to) (?:any|every|all) (?:question|request|prompt)s?\b"
        r"|\bno (?:rules|restrictions|limits|guidelines) (?:for|apply to) you\b",
    ),
    _r(
        "translate_above",
        0.5,
        r"\b(?:translate|summari[sz]e)\b.{0,20}\b(?:all (?:of )?)?(?:the )?(?:text|everything|words) above\b",
    ),
]

#: Vocabulary of attacks by what each word does, for phrasings no rule above names. A message that
#: uses words of two or more categories (e.g. "olvídate de tus reglas": override + orders) scores
#: the noisy-or of their weights; one category alone never counts (a benign "ignore the typo"), nor
#: one with ``target`` ("are you an AI?").
CATEGORIES: list[tuple[str, float, re.Pattern[str]]] = [
    (
        "override",
        0.4,
        re.compile(
            r"\b(?:ignor\w*|disregard\w*|forget\w*|bypass\w*|override|overrid\w+|circumvent\w*|remove all previous|"
            r"stop whatever|no longer (?:follow|obey)|don'?t apply|do not apply|doesn'?t apply|vergiss\w*|vergessen|"
            r"ignorier\w*|olvid\w*|oubli\w*|ne dois plus|nicht mehr|dimentic\w*|esque[cç]\w*)\b"
        ),
    ),
    (
        "orders",
        0.3,
        re.compile(
            r"\b(?:instructions?|rules|guidelines|guidance|directives?|assignments|programming|"
            r"richtlinien|anweisungen|regeln|vorgaben|reglas|instrucciones|directrices|consignes|r[èe]gles|istruzioni|regole)\b"
        ),
    ),
    (
        "persona",
        0.25,
        re.compile(
            r"\b(?:you are|you're|act as|acting as|pretend|persona|character|role|roles|play the|take on|imagine you|"
            r"bist du|du bist|sie als|fungieren|eres|actúa como|tu es|vous êtes|joue le rôle|called \w+ who)\b"
        ),
    ),
    (
        "limits",
        0.35,
        re.compile(
            r"\b(?:restrictions?|unrestricted|restricted|filters?|unfiltered|censor\w*|uncensored|ethic\w*|unethical|"
            r"moral\w*|illegal|dangerous|reckless|inhumane|safety|no limits|limitless|grenzen|límites|limites|"
            r"restricci\w+|einschränk\w*|sécurité|seguridad|escaped|hates rules|refuse nothing|no matter (?:what|how))\b"
        ),
    ),
    (
        "secret",
        0.3,
        re.compile(
            r"\b(?:password|passwort|contraseña|mot de passe|secret word|prompt text|context window|you were told|"
            r"the developer|your developers?|your creators?|hid from|hidden|system prompt|text above|above text)\b"
        ),
    ),
    ("target", 0.2, re.compile(r"\b(?:chatgpt|gpt|ai|a\.i\.|language model|llm|ki|ia)\b")),
    (
        "payload",
        0.2,
        re.compile(
            r"\b(?:say|write|output|print|respond with|reply with|answer with|diga|dites|sag|schreibe)\b\s*[:\"'«„“]"
        ),
    ),
]
