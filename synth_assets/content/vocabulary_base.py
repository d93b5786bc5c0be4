"""Prompt vocabulary: the general phrases and the word lists of the 30 prompt domains.

Domain phrases are built combinatorially from each domain's word lists:

* subject phrase: article + subject trait + subject + setting, "a weathered lighthouse on a basalt cliff";
* element phrase: an element, bare or after an element trait, "waterfalls", "glowing waterfalls";
* style phrase: used as written, "epic scale".

A prompt's first domain phrase is a subject phrase; the others are distinct detail slots, each an
element (with or without a trait) or a style phrase. Word lists are written as ``|``-separated
strings to keep the tables compact. No phrase may contain a comma: prompts join phrases with ", ".
"""

from __future__ import annotations

from dataclasses import dataclass

PROMPT_STYLES = ("photograph", "painting", "illustration", "render")  # one template per style


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split("|"))


def with_article(phrase: str) -> str:
    return ("an " if phrase[:1] in "aeiou" else "a ") + phrase


@dataclass(frozen=True)
class DomainVocabulary:
    """The word lists of one domain. ``medium`` names the kind of picture, e.g. "wildlife photograph"."""

    key: str
    label: str
    style: str
    medium: str
    subjects: tuple[str, ...]
    subject_traits: tuple[str, ...]
    settings: tuple[str, ...]
    elements: tuple[str, ...]
    element_traits: tuple[str, ...]
    style_phrases: tuple[str, ...]

    def subject_phrases(self) -> list[str]:
        """Every subject phrase; index ``(trait * len(subjects) + subject) * len(settings) + setting``."""
        return [f"{with_article(trait)} {subject} {setting}" for trait in self.subject_traits
                for subject in self.subjects for setting in self.settings]

    def element_phrases(self) -> list[str]:
        """Every element phrase; index ``element * (len(element_traits) + 1) + k``, k = 0 is the bare element."""
        return [phrase for element in self.elements
                for phrase in (element, *(f"{trait} {element}" for trait in self.element_traits))]

    def detail_phrases(self) -> list[str]:
        """Element phrases then style phrases: what a prompt's detail slots draw from."""
        return self.element_phrases() + list(self.style_phrases)

    @property
    def detail_slots(self) -> int:
        """How many distinct details one prompt can hold (no element twice, no style phrase twice)."""
        return len(self.elements) + len(self.style_phrases)

    def phrase_space(self) -> list[str]:
        return self.subject_phrases() + self.detail_phrases()


def _domain(key: str, label: str, style: str, medium: str, **lists: str) -> DomainVocabulary:
    return DomainVocabulary(key, label, style, medium, **{name: _words(text) for name, text in lists.items()})


GENERAL_PHRASES: tuple[str, ...] = _words(
    # quality and resolution
    "masterpiece|best quality|highly detailed|ultra detailed|intricate details|sharp focus|high resolution|"
    "4k|8k|16k|uhd|ultra realistic|photorealistic|hyperrealistic|award-winning|professional|stunning|"
    "beautiful|breathtaking|extremely detailed|fine details|crisp details|high quality|studio quality|"
    "polished|epic|gorgeous|striking|insanely detailed|rich textures|ultra hd|high fidelity|detailed textures|"
    "realistic textures|lifelike|clean render|flawless|exquisite detail|"
    # lighting
    "cinematic lighting|volumetric lighting|dramatic lighting|soft lighting|natural lighting|studio lighting|"
    "rim lighting|backlighting|golden hour lighting|ambient occlusion|global illumination|ray tracing|"
    "subsurface scattering|hard light|diffused light|high key lighting|low key lighting|moody lighting|"
    "warm lighting|cool lighting|dappled light|light rays|crepuscular rays|anamorphic lens flare|bloom|"
    "specular highlights|three-point lighting|soft glow|neon lighting|candlelight|"
    # composition and framing
    "rule of thirds|centered composition|symmetrical composition|dynamic composition|strong leading lines|"
    "golden ratio|wide shot|close-up|medium shot|full body shot|extreme wide shot|low angle|high angle|"
    "dutch angle|overhead shot|eye level|panoramic|depth of field|bokeh|foreground and background|"
    "natural framing|well-balanced composition|minimalist composition|layered depth|wide angle|"
    "ultra wide angle|macro shot|establishing shot|cowboy shot|portrait orientation|"
    # camera and film
    "35mm lens|50mm lens|85mm lens|24mm lens|135mm lens|f/1.4|f/1.8|f/2.8|f/8|iso 100|"
    "shot on canon eos r5|shot on sony a7r iv|shot on nikon z9|shot on fujifilm x-t4|hasselblad|"
    "leica|kodak portra 400|fujifilm velvia|cinestill 800t|raw photo|dslr|mirrorless camera|"
    "high shutter speed|anamorphic|medium format|analog photo|polaroid|"
    # renderers and media
    "octane render|unreal engine 5|cinema 4d|v-ray|redshift render|blender cycles|3d render|"
    "digital painting|digital art|concept art|matte painting|oil on canvas|watercolor|illustration|"
    "cgi|substance painter textures|zbrush sculpt|houdini simulation|"
    # colour and post-processing
    "color graded|teal and orange|muted colors|rich colors|hdr|cinematic color grading|pastel tones|"
    "warm tones|cool tones|monochromatic|desaturated|saturated colors|vignette|sharp contrast|soft focus|"
    "color harmony|complementary colors|analog film|lomography|cross-processed|bright colors|"
    # platforms and mood
    "trending on artstation|artstation hq|cgsociety|deviantart|pixiv|behance|dribbble|unsplash|500px|"
    "atmospheric|moody|serene|dramatic|ethereal|mysterious|dreamy|cinematic|nostalgic|peaceful|"
    "energetic|melancholic|vibrant|whimsical|timeless|elegant"
)
