"""Short first texts, as people write to a hotline, by the language they are written in.

The language guess (`hotline.i18n.detect`) is measured against this table: every guess
it makes must be right, and it must make one for most of them. The last group holds
texts that are in no language at all, or too short to tell: they get the menu.
"""

from __future__ import annotations

SAMPLES: dict[str, tuple[str, ...]] = {
    "en": (
        "ICE is at my neighbor's house right now",
        "help me please they are at the door",
        "immigration agents at 26th and Pulaski",
        "what are my rights if they stop me",
        "my husband was taken this morning",
        "Is this the hotline for immigrants?",
        "there are agents outside the school",
        "I need a lawyer",
    ),
    "es": (
        "la migra está en la casa de mi vecina",
        "necesito ayuda por favor",
        "hay agentes de inmigración en la escuela",
        "se llevaron a mi esposo esta mañana",
        "cuáles son mis derechos",
        "están tocando la puerta qué hago",
        "hay una redada en el trabajo",
        "necesito un abogado urgente",
    ),
    "zh": (
        "移民局的人在我家门口",
        "请帮帮我",
        "我丈夫今天早上被抓走了",
        "我有什么权利",
        "学校外面有移民官",
        "我需要一个律师",
    ),
    "pl": (
        "agenci imigracyjni są pod moim domem",
        "proszę o pomoc",
        "zabrali mojego męża dziś rano",
        "jakie mam prawa",
        "pukają do drzwi co mam robić",
        "potrzebuję prawnika",
    ),
    "ar": (
        "شرطة الهجرة أمام بيتي الآن",
        "أحتاج مساعدة من فضلك",
        "أخذوا زوجي هذا الصباح",
        "ما هي حقوقي",
        "يوجد عملاء عند المدرسة",
        "أحتاج محاميا",
    ),
    "uk": (
        "міграційна поліція біля мого будинку",
        "допоможіть будь ласка",
        "сьогодні вранці забрали мого чоловіка",
        "які мої права",
        "вони стукають у двері що робити",
        "мені потрібен адвокат",
    ),
    "ru": (
        "иммиграционная полиция у моего дома",
        "помогите пожалуйста",
        "сегодня утром забрали моего мужа",
        "какие у меня права",
        "они стучат в дверь что делать",
        "мне нужен адвокат",
    ),
    "fr": (
        "les agents de l'immigration sont devant chez moi",
        "aidez-moi s'il vous plaît",
        "ils ont arrêté mon mari ce matin",
        "quels sont mes droits",
        "ils frappent à la porte que faire",
        "j'ai besoin d'un avocat",
    ),
    "ht": (
        "imigrasyon nan lakay vwazen mwen kounye a",
        "tanpri ede mwen",
        "yo pran mari mwen maten an",
        "ki dwa mwen genyen",
        "yo ap frape pòt la kisa pou m fè",
        "mwen bezwen yon avoka",
    ),
    "tl": (
        "may mga ahente ng immigration sa bahay ng kapitbahay ko",
        "tulungan po ninyo ako",
        "kinuha nila ang asawa ko kaninang umaga",
        "ano ang mga karapatan ko",
        "kumakatok sila sa pinto ano ang gagawin ko",
        "kailangan ko ng abogado",
    ),
}

# Nothing to tell a language by: a number, a greeting shared by many, one short word,
# street names (Chicago's read as Polish to a model), acronyms.
UNSURE: tuple[str, ...] = (
    "60623", "ok", "ok ok", "hi", "hello", "hello hello", "?", "ICE", "DHS CBP", "Pulaski",
    "Kedzie Cermak", "Pulaski Kedzie", "Little Village", "ICE at Kedzie", "26th Pulaski",
)  # fmt: skip
