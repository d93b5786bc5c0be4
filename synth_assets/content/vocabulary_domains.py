"""The 30 prompt domains' word lists (data only; the shapes and helpers are in ``vocabulary``)."""

from __future__ import annotations

from synth_assets.content.vocabulary_base import DomainVocabulary, _domain

DOMAIN_LIST: tuple[DomainVocabulary, ...] = (
    _domain(
        "fantasy_landscapes", "Fantasy landscapes", "painting", "fantasy matte painting",
        subjects="castle|lighthouse|citadel|stone bridge|elven village|wizard tower|temple|floating island|"
                 "crystal cavern|monastery|watchtower|city of spires",
        subject_traits="ancient|weathered|towering|enchanted|moss-covered|crumbling|luminous|forgotten|majestic",
        settings="on a basalt cliff|in a misty valley|above a sea of clouds|beside a glowing lake|"
                 "deep in an elder forest|at the edge of the world|among snow-capped peaks|"
                 "on a windswept highland|beneath twin moons",
        elements="waterfalls|floating rocks|rune stones|winding rivers|giant mushrooms|crystal spires|twisted oaks|"
                 "mountain ranges|stone archways|will-o'-the-wisps|ivy-covered walls|rolling clouds|rainbow mist|"
                 "ruined pillars|wildflower meadows|dragons in flight|lanterns|pine forests",
        element_traits="glowing|misty|ancient|shimmering|distant|sunlit|overgrown|mystical|colossal",
        style_phrases="epic scale|ethereal atmosphere|god rays|dreamlike palette|sweeping vista|high fantasy|"
                      "painterly brushwork|luminous haze|storybook grandeur|atmospheric perspective|"
                      "magical realism|heroic composition|mythic mood|vivid sky|tolkienesque feel|"
                      "romantic landscape tradition",
    ),
    _domain(
        "cyberpunk_cities", "Cyberpunk cities", "render", "cyberpunk cityscape render",
        subjects="megacity|night market|street food stall|hover taxi|rooftop bar|data center|noodle shop|"
                 "arcology tower|back alley|monorail station|android courier|street samurai",
        subject_traits="neon-lit|rain-soaked|crowded|grimy|towering|holographic|derelict|sprawling|chrome-plated",
        settings="in a rain-slick downtown|under a smog-choked sky|beneath a web of power lines|"
                 "in the lower city slums|above a sea of traffic|in a neon district at midnight|"
                 "beside a flooded canal|on a corporate skybridge",
        elements="holographic billboards|neon signs|flying cars|steam vents|puddle reflections|kanji signage|"
                 "cable bundles|drone swarms|vending machines|security cameras|graffiti murals|cybernetic implants|"
                 "power lines|umbrellas|mega-corporation logos|maglev trains|surveillance drones|chrome facades",
        element_traits="flickering|glowing|rain-streaked|pink and teal|buzzing|glitching|oversized|countless|rusted",
        style_phrases="blade runner atmosphere|dystopian mood|high-tech low-life|neon noir|synthwave palette|"
                      "wet asphalt sheen|volumetric fog|chromatic aberration|dense urban layering|moody night scene|"
                      "lens flares from headlights|gritty realism|retro-futuristic|electric blue and magenta|"
                      "cinematic widescreen framing|heavy rain",
    ),
    _domain(
        "portrait_photography", "Portrait photography", "photograph", "portrait photograph",
        subjects="young woman|old fisherman|ballet dancer|jazz musician|farmer|nurse|street vendor|young boy|"
                 "grandmother|tattooed man|bride|chef",
        subject_traits="freckled|smiling|pensive|silver-haired|weathered|joyful|serene|confident|shy",
        settings="in a sunlit meadow|by a rain-streaked window|against a charcoal backdrop|in a cluttered workshop|"
                 "on a city rooftop|in a dim jazz club|under a flowering tree|in a sunlit kitchen|"
                 "at a busy train station",
        elements="catchlights in the eyes|loose strands of hair|laugh lines|knitted scarf|linen shirt|"
                 "silver earrings|shadows|window light|background blur|hands resting on the chin|smile|"
                 "denim jacket|wool sweater|straw hat|reading glasses|skin texture|makeup|skin tones",
        element_traits="subtle|soft|natural|delicate|warm|gentle|textured|muted|faded",
        style_phrases="85mm portrait lens|shallow depth of field|rembrandt lighting|natural expression|"
                      "eye-level framing|candid moment|editorial portrait|intimate mood|creamy bokeh|film grain|"
                      "kodak portra tones|soft diffused light|split lighting|environmental portrait|honest emotion|"
                      "timeless feel",
    ),
    _domain(
        "wildlife_photography", "Wildlife photography", "photograph", "wildlife photograph",
        subjects="red fox|snow leopard|bald eagle|african elephant|grizzly bear|barn owl|humpback whale|"
                 "bengal tiger|arctic wolf|hummingbird|giraffe|kingfisher",
        subject_traits="young|majestic|alert|solitary|wary|curious|hunting|sleeping|wind-swept",
        settings="in fresh snow|on a misty riverbank|across the savanna at dawn|in a dense bamboo forest|"
                 "on a frozen lake|among autumn birch trees|at a watering hole|on a rocky outcrop|"
                 "in tall golden grass",
        elements="frost on whiskers|breath vapor|snowflakes|morning dew|reflections in the water|dappled sunlight|"
                 "fur|tall reeds|acacia trees|dust clouds|ripples|spread wings|watchful eyes|pine branches|"
                 "fallen leaves|pawprints in the snow|distant herd|low-hanging fog",
        element_traits="soft|glistening|golden|fine|subtle|drifting|crisp|scattered|backlit",
        style_phrases="telephoto compression|national geographic style|eye-level with the animal|"
                      "fast shutter speed|frozen motion|natural habitat|patient wildlife stalk|600mm lens|"
                      "blurred foreground grass|rim-lit fur|decisive moment|untouched wilderness|earthy palette|"
                      "animal behavior shot|crisp feather detail|quiet dawn light",
    ),
    _domain(
        "modern_architecture", "Modern architecture", "photograph", "architectural photograph",
        subjects="concrete villa|glass pavilion|museum atrium|timber cabin|skyscraper|library|spiral staircase|"
                 "chapel|footbridge|cantilevered house|train station|cultural center",
        subject_traits="minimalist|brutalist|sleek|curving|angular|sustainable|monolithic|light-filled|elegant",
        settings="on a coastal cliff|in a pine forest|in a dense city block|beside a still reflecting pool|"
                 "in the desert at dusk|on a terraced hillside|along a quiet canal|in a snowy alpine valley",
        elements="floor-to-ceiling windows|exposed concrete|cantilevered balconies|green roofs|steel beams|"
                 "timber slats|reflecting pools|shadow patterns|open floor plans|louvered facades|courtyard gardens|"
                 "skylights|polished terrazzo|glass curtain walls|floating stairs|clean lines|geometric volumes|"
                 "corten steel panels",
        element_traits="sweeping|raw|warm|sharp|seamless|dramatic|repeating|textured|sunlit",
        style_phrases="symmetrical facade|two-point perspective|tilt-shift correction|blue hour exterior|"
                      "architectural digest style|dezeen feature|negative space|monochrome study|human scale figures|"
                      "golden ratio proportions|long shadows|crisp verticals|material honesty|"
                      "wide-angle architectural shot|clean sky|museum-quality print",
    ),
    _domain(
        "food_photography", "Food photography", "photograph", "food photograph",
        subjects="sourdough loaf|bowl of ramen|stack of pancakes|margherita pizza|chocolate cake|poke bowl|"
                 "croissant|seafood paella|charcuterie board|cup of cappuccino|taco platter|lemon tart",
        subject_traits="rustic|steaming|freshly baked|glistening|homemade|decadent|golden|vibrant|artisanal",
        settings="on a marble countertop|on a weathered wooden table|on a linen tablecloth|"
                 "in a sunlit farmhouse kitchen|on a slate serving board|at a cozy bistro table|"
                 "on a dark moody backdrop|beside an open window",
        elements="basil leaves|flour|drizzled honey|crumbs|rising steam|cracked black pepper|sliced citrus|"
                 "powdered sugar|linen napkins|vintage cutlery|olive oil droplets|sesame seeds|melted butter|"
                 "berries|sprigs of rosemary|ceramic plates|copper pans|sea salt flakes",
        element_traits="fresh|rustic|delicate|glossy|hand-torn|vibrant|dusted|warm|scattered",
        style_phrases="overhead flat lay|45-degree angle|shallow focus|appetizing|food styling|soft window light|"
                      "moody food photography|negative space for text|bon appetit style|fresh ingredients|"
                      "natural side light|dark and moody|bright and airy|texture close-up|culinary editorial|"
                      "mouth-watering detail",
    ),
    _domain(
        "anime_characters", "Anime characters", "illustration", "anime illustration",
        subjects="schoolgirl|swordsman|magical girl|mecha pilot|shrine maiden|fox spirit|idol singer|ninja|ronin|"
                 "witch apprentice|space cadet|cat-eared girl",
        subject_traits="cheerful|stoic|determined|mischievous|sleepy|fierce|gentle|elegant|energetic",
        settings="on a cherry blossom path|on a school rooftop at sunset|in a neon-lit tokyo street|"
                 "at a summer festival|in a bamboo grove|beside a seaside train crossing|in a floating sky castle|"
                 "in a cozy tatami room",
        elements="flowing hair|large expressive eyes|sailor uniform|katana|falling petals|twin tails|"
                 "paper lanterns|oversized hoodie|school bag|fox mask|hair ribbons|sparkles|magic circle|"
                 "headphones|kimono sleeves|wind chimes|fireworks|cat ears",
        element_traits="glowing|pastel|fluttering|sparkling|crimson|silver|soft|windswept|delicate",
        style_phrases="cel shading|clean lineart|studio ghibli inspired|makoto shinkai sky|key visual|"
                      "vivid anime colors|dynamic pose|light novel cover|soft anime shading|detailed background art|"
                      "pastel palette|shoujo sparkle|character sheet|anime screencap|expressive face|dramatic wind",
    ),
    _domain(
        "scifi_spaceships", "Sci-fi spaceships", "render", "sci-fi concept render",
        subjects="battlecruiser|scout ship|cargo hauler|space station|dropship|colony ark|interceptor|"
                 "mining vessel|starfighter|orbital shipyard|freighter|research frigate",
        subject_traits="sleek|battle-scarred|massive|angular|gleaming|ancient|modular|stealthy|derelict",
        settings="in orbit around a gas giant|above a ringed planet|drifting through an asteroid field|"
                 "docked at an orbital ring|emerging from hyperspace|in the glow of a nebula|over a frozen moon|"
                 "near a dying star",
        elements="engine trails|hull plating|docking lights|escort fighters|solar sails|plasma thrusters|"
                 "radar arrays|hangar bays|laser fire|debris fields|shield shimmer|cockpit windows|antenna masts|"
                 "cargo containers|warp rings|landing struts|navigation beacons|heat vents",
        element_traits="glowing|blue|scorched|pulsing|intricate|distant|flickering|massive|weathered",
        style_phrases="hard science fiction|sense of scale|industrial design|kitbash detail|cinematic space shot|"
                      "starfield backdrop|expanse aesthetic|greeble-rich surfaces|lens flare|"
                      "matte painting quality|imposing silhouette|retro sci-fi|nasa-punk|volumetric engine glow|"
                      "cold metallic palette|epic space opera",
    ),
    _domain(
        "underwater_scenes", "Underwater scenes", "photograph", "underwater photograph",
        subjects="coral reef|sea turtle|shipwreck|kelp forest|manta ray|octopus|whale shark|sunken temple|"
                 "clownfish|diver|jellyfish|seahorse",
        subject_traits="vibrant|ancient|drifting|gentle|luminous|curious|graceful|solitary|majestic",
        settings="in crystal-clear tropical water|near the ocean floor|in a blue abyss|beneath a sunlit surface|"
                 "in a deep ocean trench|around a volcanic vent|in a quiet lagoon|along a coral wall",
        elements="light shafts|schools of fish|bubbles|sea anemones|sand ripples|sea fans|plankton|"
                 "sunbeams from above|bioluminescent sparks|barnacles|sea urchins|kelp fronds|"
                 "caustic light patterns|nudibranchs|coral branches|ocean surface|sand dollars|floating particles",
        element_traits="shimmering|turquoise|dancing|tiny|swaying|glowing|colorful|drifting|delicate",
        style_phrases="deep blue gradient|underwater caustics|wide-angle dome port|marine biology documentary|"
                      "weightless feeling|serene mood|aquamarine palette|scuba perspective|sunlight filtering down|"
                      "crystal clarity|ocean conservation theme|snorkeling view|split-level shot|teal color cast|"
                      "blue water photography|tranquil depth",
    ),
    _domain(
        "botanical_illustration", "Botanical illustration", "illustration", "botanical illustration",
        subjects="rose|fern|orchid|sunflower|oak branch|foxglove|peony|magnolia|cactus|tulip|lavender sprig|iris",
        subject_traits="delicate|blooming|wild|pressed|climbing|flowering|dried|rare|young",
        settings="on aged parchment|on cream paper|on a white background|in a vintage herbarium page|"
                 "on a specimen sheet|in a naturalist's journal|framed by handwritten notes|on linen paper",
        elements="seed pods|leaf venation|cross-section diagrams|root systems|stamens|petals|buds|thorns|"
                 "latin labels|pollinating bees|measurement scales|botanical annotations|tendrils|berries|"
                 "bark textures|unfurling fronds|seed heads|dewdrops",
        element_traits="detailed|faded|delicate|hand-lettered|pale|intricate|curling|fine|tiny",
        style_phrases="scientific illustration|watercolor and ink|victorian naturalist style|fine linework|"
                      "muted earthy pigments|specimen plate|engraving style|vintage print|precise stippling|"
                      "soft washes|redoute inspired|educational chart|hand-colored lithograph|archival quality|"
                      "herbarium aesthetic|negative space layout",
    ),
    _domain(
        "steampunk_inventions", "Steampunk inventions", "illustration", "steampunk concept illustration",
        subjects="airship|clockwork automaton|locomotive|diving suit|mechanical owl|pocket watch|flying machine|"
                 "steam carriage|telescope|mechanical arm|submarine|difference engine",
        subject_traits="brass|ornate|towering|intricate|victorian|clanking|gilded|experimental|patched",
        settings="in a cluttered inventor's workshop|above a smoky victorian city|at a crowded london train platform|"
                 "inside a grand exhibition hall|in a copper-domed observatory|on a cobblestone street|"
                 "above the clouds at sunset|in a gaslit laboratory",
        elements="gears|rivets|pressure gauges|steam plumes|copper pipes|leather straps|cogs|pistons|goggles|"
                 "blueprints|vacuum tubes|valves|chains|pulleys|gas lamps|propellers|springs|dials",
        element_traits="brass|spinning|hissing|polished|tarnished|oversized|interlocking|glowing|ornamental",
        style_phrases="victorian era|sepia tones|retro-futurism|jules verne inspired|industrial revolution|"
                      "mechanical detail|warm amber glow|da vinci sketch style|steam and smoke|antique patina|"
                      "gaslamp fantasy|technical cutaway|brass and mahogany|elaborate engineering|"
                      "sooty atmosphere|cog-laden design",
    ),
    _domain(
        "interior_design", "Interior design", "photograph", "interior design photograph",
        subjects="living room|reading nook|kitchen|bedroom|home office|bathroom|loft|sunroom|dining room|"
                 "library|studio apartment|walk-in closet",
        subject_traits="scandinavian|cozy|minimalist|mid-century|bohemian|japandi|industrial|airy|luxurious",
        settings="with floor-to-ceiling windows|overlooking a city skyline|in a converted warehouse|"
                 "in a parisian apartment|in a lakeside cabin|in a renovated farmhouse|in a coastal villa|"
                 "under a vaulted ceiling",
        elements="linen sofas|indoor plants|rattan chairs|oak floors|wool rugs|pendant lights|marble countertops|"
                 "open shelving|throw pillows|ceramic vases|built-in bookshelves|velvet armchairs|wall art|"
                 "terracotta tiles|brass fixtures|sheer curtains|fireplace|coffee table books",
        element_traits="neutral|textured|warm|soft|curated|natural|handmade|muted|sculptural",
        style_phrases="neutral palette|natural light flooding in|architectural digest interior|styled vignette|"
                      "warm ambient lighting|clutter-free|earth tones|hygge mood|wide-angle room shot|"
                      "layered textures|biophilic design|quiet luxury|editorial interior styling|soft morning light|"
                      "balanced composition|scandi calm",
    ),
    _domain(
        "fashion_editorial", "Fashion editorial", "photograph", "fashion editorial photograph",
        subjects="model|runway look|couture gown|streetwear outfit|tailored suit|avant-garde headpiece|silk dress|"
                 "leather jacket|knitwear ensemble|bridal look|trench coat|denim look",
        subject_traits="androgynous|striking|elegant|oversized|sculptural|sheer|bold|minimalist|vintage-inspired",
        settings="on a desert dune|in a brutalist stairwell|against a seamless paper backdrop|"
                 "on a rain-soaked paris street|in an abandoned ballroom|on a rooftop at golden hour|"
                 "in a field of tall grass|in a mirrored corridor",
        elements="flowing fabric|statement earrings|pleated silk|chunky boots|wide-leg trousers|layered necklaces|"
                 "lipstick|slicked-back hair|sequin details|veils|sunglasses|tailored lapels|leather gloves|"
                 "ruffled collars|cropped blazers|platform heels|hair in the wind|structured shoulders",
        element_traits="billowing|metallic|crimson|ivory|glossy|dramatic|textured|black|emerald",
        style_phrases="vogue editorial|high fashion|harsh flash|high contrast|avant-garde styling|dramatic pose|"
                      "magazine cover|studio strobe lighting|fashion week|minimalist set design|"
                      "color-blocked styling|haute couture|moody editorial|grainy film look|powerful stance|"
                      "luxury campaign",
    ),
    _domain(
        "automotive_concepts", "Automotive concepts", "render", "automotive render",
        subjects="sports car|electric hypercar|vintage roadster|off-road truck|muscle car|rally car|concept sedan|"
                 "motorcycle|camper van|grand tourer|race car|pickup truck",
        subject_traits="sleek|matte black|cherry red|aerodynamic|restored|futuristic|mud-splattered|low-slung|"
                       "gleaming",
        settings="on a winding coastal road|in a minimalist studio|on a salt flat|on a wet city street at night|"
                 "on a mountain pass|in a desert canyon|on a race track|in a neon-lit garage",
        elements="carbon fiber trim|led headlights|chrome wheels|tire smoke|motion blur|reflections on the paint|"
                 "brake calipers|aero wings|leather interior|tail lights|road spray|light trails|exhaust flames|"
                 "gull-wing doors|racing stripes|dust plumes|rims|grille details",
        element_traits="glowing|polished|crimson|sharp|gleaming|sleek|blurred|bright|custom",
        style_phrases="automotive advertising|rolling shot|studio reflections|three-quarter front view|"
                      "low angle hero shot|speed and power|motorsport energy|showroom finish|clean product lighting|"
                      "car magazine cover|hdri reflections|panning shot|aggressive stance|design sketch feel|"
                      "top gear style|premium finish",
    ),
    _domain(
        "deep_space", "Deep space", "render", "space art render",
        subjects="spiral galaxy|nebula|black hole|ringed planet|supernova remnant|binary star system|comet|"
                 "exoplanet|star cluster|pulsar|moon|quasar",
        subject_traits="glowing|distant|swirling|colossal|violet|ancient|shimmering|turbulent|radiant",
        settings="against a dense starfield|at the edge of the milky way|in the depths of intergalactic space|"
                 "seen from an alien moon|beyond the orion arm|over a planetary horizon|amid cosmic dust clouds|"
                 "in the heart of a star nursery",
        elements="cosmic dust|star clusters|gas clouds|accretion disk|lensing arcs|planetary rings|solar flares|"
                 "dark nebulae|ion trails|star streams|aurora curtains|asteroid belts|plasma jets|distant galaxies|"
                 "interstellar clouds|meteor streaks|orbiting moons|magnetic field lines",
        element_traits="glowing|swirling|crimson|teal|faint|luminous|violet|scattered|billowing",
        style_phrases="hubble telescope imagery|james webb colors|astrophotography|long exposure|cosmic scale|"
                      "deep field view|space art|scientific visualization|awe-inspiring|infinite depth|"
                      "false-color palette|celestial glow|sci-fi book cover|vast emptiness|high dynamic range|"
                      "stellar brilliance",
    ),
    _domain(
        "gothic_horror", "Gothic horror", "painting", "dark gothic painting",
        subjects="cathedral|manor house|graveyard|vampire countess|plague doctor|orphanage|crypt|raven|ghost|"
                 "scarecrow|asylum|cloaked figure",
        subject_traits="decaying|candlelit|fog-shrouded|sinister|ancient|abandoned|grim|forsaken|moonlit",
        settings="under a blood-red moon|on a storm-lashed moor|in a fog-filled forest|at the end of a cobbled lane|"
                 "in a flooded catacomb|beside a frozen lake|atop a crumbling cliff|behind rusted iron gates",
        elements="wrought iron gates|flickering candles|cobwebs|gnarled trees|stone gargoyles|crows|curtains|"
                 "bare branches|broken stained glass|gravestones|dripping wax|rusted chains|shadowy figures|"
                 "creaking floorboards|bats|dead roses|mist|lantern light",
        element_traits="twisted|crumbling|faded|looming|moss-covered|pale|ghostly|rotting|black",
        style_phrases="victorian gothic|chiaroscuro|eerie silence|dread-filled atmosphere|dark romanticism|"
                      "desaturated palette|oil painting texture|edgar allan poe mood|dramatic shadows|"
                      "horror movie still|unsettling composition|cold moonlight|macabre detail|bloodborne aesthetic|"
                      "foreboding sky|grim elegance",
    ),
    _domain(
        "pixel_art", "Pixel art", "illustration", "pixel art scene",
        subjects="village|dungeon|forest clearing|space station|castle|harbor town|cave|farmhouse|arcade|"
                 "train platform|treehouse|boss arena",
        subject_traits="cozy|tiny|retro|bustling|haunted|snowy|sunny|mysterious|overgrown",
        settings="at dusk|in a side-scrolling level|on an isometric tile map|in a rainy night scene|"
                 "on a floating island|in a top-down rpg map|beside a waterfall|in a neon city",
        elements="treasure chests|slimes|torches|health potions|stone tiles|hero sprites|villager sprites|coins|"
                 "fireflies|lanterns|pixel clouds|water tiles|grass tufts|signposts|crates|campfires|bats|doors",
        element_traits="animated|tiny|glowing|flickering|16-bit|8-bit|colorful|chunky|hidden",
        style_phrases="limited color palette|dithering|snes era graphics|crisp pixel edges|game boy palette|"
                      "parallax layers|tileset aesthetic|retro game screenshot|sprite art|32x32 tiles|"
                      "low resolution charm|cozy indie game|nostalgic 90s feel|clean pixel clusters|"
                      "hand-placed pixels|jrpg vibe",
    ),
    _domain(
        "product_photography", "Product photography", "photograph", "product photograph",
        subjects="wristwatch|perfume bottle|pair of sneakers|wireless headphones|skincare jar|leather handbag|"
                 "smartphone|coffee grinder|ceramic mug|mechanical keyboard|pair of sunglasses|scented candle",
        subject_traits="minimalist|luxurious|matte|sleek|handcrafted|glossy|eco-friendly|premium|pastel",
        settings="on a white seamless backdrop|on a travertine pedestal|on a reflective black surface|"
                 "floating in mid-air|on a bed of moss|against a pastel gradient|on a sunlit bathroom shelf|"
                 "among scattered geometric props",
        elements="shadows|water droplets|acrylic blocks|dried flowers|reflections|splashes|smoke wisps|sand|"
                 "citrus slices|silk fabric|stone props|light streaks|ice cubes|leaves|brand label|packaging box|"
                 "pebbles|gradient backdrop",
        element_traits="soft|crisp|subtle|floating|glossy|scattered|frosted|golden|clean",
        style_phrases="e-commerce ready|catalog shot|studio softbox lighting|hero product shot|clean background|"
                      "commercial photography|color-matched props|packshot|minimal set|high-end retouching|"
                      "advertising campaign|even illumination|crisp edges|brand aesthetic|marketplace listing style|"
                      "luxury branding",
    ),
    _domain(
        "street_photography", "Street photography", "photograph", "street photograph",
        subjects="busker|cyclist|newspaper seller|old couple|skateboarder|policeman|taxi driver|flower vendor|"
                 "commuter|dog walker|shoeshine man|schoolgirl",
        subject_traits="lone|hurried|laughing|weary|stylish|pensive|soaked|distracted|cheerful",
        settings="on a rainy tokyo crossing|in a havana side street|at a new york subway entrance|"
                 "in a crowded marrakech souk|under paris arcades|on a foggy london bridge|in a hong kong market|"
                 "at a lisbon tram stop",
        elements="umbrellas|long shadows|wet pavement|shop signs|pigeons|passing trams|street lamps|"
                 "reflections in puddles|motion-blurred pedestrians|graffiti|laundry lines|bicycles|market stalls|"
                 "steam from manholes|crosswalk stripes|taxi headlights|silhouettes|cigarette smoke",
        element_traits="colorful|dim|fleeting|glistening|busy|faded|stark|hazy|scattered",
        style_phrases="candid shot|decisive moment|black and white|35mm film|cartier-bresson style|"
                      "leica rangefinder|gritty urban realism|high contrast monochrome|documentary style|"
                      "layered composition|people watching|everyday life|zone focusing|grainy tri-x film|"
                      "juxtaposition|sense of place",
    ),
    _domain(
        "mythical_creatures", "Mythical creatures", "painting", "fantasy creature painting",
        subjects="dragon|phoenix|griffin|unicorn|kraken|basilisk|chimera|sea serpent|thunderbird|kitsune|wyvern|"
                 "minotaur",
        subject_traits="fearsome|majestic|ancient|wounded|slumbering|fire-breathing|armored|gentle|colossal",
        settings="perched on a mountain peak|rising from a stormy sea|in a sacred grove|guarding a treasure hoard|"
                 "circling a volcanic crater|in a moonlit glade|above a burning village|in a crystal cave",
        elements="iridescent scales|feathered wings|smoke and embers|eyes|curved horns|lightning bolts|"
                 "knights in armor|runes|claw marks|treasure piles|flames|tail spikes|fog banks|broken swords|"
                 "tattered banners|waves|lava rivers|moonbeams",
        element_traits="glowing|massive|shimmering|ember-lit|ancient|crackling|jagged|golden|swirling",
        style_phrases="creature design|dungeons and dragons art|epic fantasy illustration|mythological|"
                      "detailed anatomy|dynamic action pose|legendary beast|magic the gathering card art|"
                      "bestiary page|sense of awe|dramatic scale|painterly fantasy|heroic encounter|"
                      "folklore inspired|fierce expression|glowing magic",
    ),
    _domain(
        "post_apocalyptic", "Post-apocalyptic worlds", "painting", "post-apocalyptic concept painting",
        subjects="wasteland town|highway|settlement|shopping mall|skyscraper|amusement park|bunker|gas station|"
                 "suspension bridge|subway tunnel|stadium|water tower",
        subject_traits="abandoned|rusted|overgrown|sand-buried|collapsed|scorched|lonely|fortified|flooded",
        settings="under an orange dust sky|in a silent city|after the fall|among rusted car wrecks|"
                 "beneath a toxic green sky|on the edge of a dry lake|in a radioactive desert|"
                 "reclaimed by the forest",
        elements="car wrecks|vines on concrete|broken windows|makeshift barricades|gas masks|scrap metal|"
                 "dust storms|toppled billboards|feral dogs|graffiti warnings|shopping carts|oil drums|buses|"
                 "radio towers|campfires|tattered flags|cracked asphalt|wild grasses",
        element_traits="rusted|crumbling|sun-bleached|overgrown|charred|abandoned|twisted|dusty|forgotten",
        style_phrases="fallout aesthetic|mad max vibe|the last of us mood|bleak atmosphere|muted earth tones|"
                      "dust in the air|nature reclaiming|survival theme|desolate silence|hazy sunlight|"
                      "cinematic wasteland|dystopian|lonely wanderer mood|gritty texture|sepia haze|"
                      "quiet devastation",
    ),
    _domain(
        "macro_nature", "Macro nature", "photograph", "macro photograph",
        subjects="dewdrop|jumping spider|dragonfly|honeybee|snowflake|ladybug|moss capsule|butterfly wing|snail|"
                 "mushroom|ant|maple leaf",
        subject_traits="tiny|iridescent|fuzzy|translucent|glistening|delicate|curious|vivid|frosted",
        settings="on a blade of grass|on a dandelion seed head|on a frosted leaf|in morning dew|on a mossy log|"
                 "on a lavender stem|on a spider web|on a rain-soaked petal",
        elements="compound eyes|water droplets|pollen grains|bristles|wing scales|ice crystals|leaf veins|"
                 "spider silk|dew beads|antennae|bokeh circles|green background|jointed legs|mandibles|"
                 "petal texture|lichen|spores|nectar",
        element_traits="glistening|tiny|delicate|sparkling|intricate|translucent|golden|fine|frosted",
        style_phrases="extreme close-up|focus stacking|100mm macro lens|razor-thin focus|magnified detail|"
                      "ring flash|soft diffused light|natural history|hidden world|microscopic wonder|"
                      "creamy background blur|high magnification|morning light|nature documentary|"
                      "ultra-detailed textures|invisible world revealed",
    ),
    _domain(
        "childrens_book_illustration", "Children's book illustration", "illustration",
        "children's book illustration",
        subjects="fox|bear cub|rabbit family|curious girl|hedgehog|owl|dragon|boy with a kite|mouse|duckling|"
                 "elephant|kitten",
        subject_traits="friendly|sleepy|little|brave|giggling|fluffy|cheerful|cozy|tiny",
        settings="in a storybook forest|on a moonlit hill|in a cozy burrow|beside a babbling brook|"
                 "in a field of daisies|under a giant mushroom|in a snowy village|on a hot air balloon ride",
        elements="falling leaves|puffy clouds|houses|paper kites|wildflowers|stars|rainbows|acorns|teacups|"
                 "picnic blankets|fireflies|winding paths|berry bushes|umbrellas|books|lanterns|snowflakes|"
                 "butterflies",
        element_traits="tiny|smiling|colorful|soft|twinkling|round|gentle|pastel|whimsical",
        style_phrases="gouache texture|whimsical storybook style|soft pastel colors|hand-drawn charm|gentle humor|"
                      "picture book spread|crayon texture|bedtime story mood|rounded shapes|warm and friendly|"
                      "beatrix potter inspired|simple shapes|textured paper|cozy atmosphere|playful composition|"
                      "colored pencil details",
    ),
    _domain(
        "abstract_art", "Abstract art", "painting", "abstract painting",
        subjects="composition of interlocking circles|field of color|geometric study|fluid pour|"
                 "explosion of brushstrokes|grid of squares|spiral form|layered collage|gestural piece|"
                 "pattern of waves|fractal bloom|constellation of dots",
        subject_traits="vibrant|monochrome|chaotic|balanced|minimalist|bold|flowing|fragmented|luminous",
        settings="on raw canvas|on a massive mural wall|on textured paper|in a white gallery space|"
                 "on a folded silk scroll|across a triptych|on a weathered wooden panel|on a glass pane",
        elements="drips|splatters|strokes|color gradients|hard edges|negative space|ink blots|overlapping shapes|"
                 "gold leaf|palette knife marks|torn paper|concentric rings|thin lines|impasto|halftone dots|"
                 "cracked glaze|color blocks|brush marks",
        element_traits="crimson|cobalt|ochre|metallic|layered|ivory|faint|jagged|sweeping",
        style_phrases="kandinsky inspired|rothko color field|bauhaus geometry|abstract expressionism|"
                      "de stijl palette|contemporary art|gallery piece|rhythmic movement|tension and balance|"
                      "mixed media|bold color contrast|pollock energy|suprematism|minimal palette|organic flow|"
                      "op art illusion",
    ),
    _domain(
        "isometric_dioramas", "Isometric dioramas", "render", "isometric 3d render",
        subjects="island|bedroom|coffee shop|gaming setup|city block|bakery|train station|campsite|lighthouse|"
                 "medieval tavern|greenhouse|server room",
        subject_traits="miniature|cozy|low-poly|cute|detailed|pastel|floating|toy-like|tiny",
        settings="on a white background|on a hovering platform|cut away to show the interior|on a square tile|"
                 "in soft studio lighting|on a pastel base|at night with warm windows|in a snow globe",
        elements="villagers|potted plants|string lights|bookshelves|palm trees|little boats|neon signs|"
                 "rooftop gardens|stairs|lamps|barrels|clouds|benches|cables|vending machines|picnic tables|"
                 "waterfalls|windmills",
        element_traits="tiny|glowing|colorful|miniature|rounded|soft|clay|bright|stylized",
        style_phrases="isometric view|blender render|low poly|diorama|clay material|orthographic camera|"
                      "soft ambient occlusion|cute game asset|tilt-shift effect|pastel colors|voxel style|"
                      "cutaway view|toy aesthetic|monument valley style|smooth shading|3d icon",
    ),
    _domain(
        "landscape_photography", "Landscape photography", "photograph", "landscape photograph",
        subjects="mountain lake|waterfall|sand dune|fjord|canyon|glacier|lavender field|volcano|sea stack|"
                 "rice terrace|pine forest|sea arch",
        subject_traits="remote|majestic|towering|tranquil|misty|snow-dusted|sunlit|rugged|pristine",
        settings="at sunrise|under the milky way|after a thunderstorm|in the golden hour|beneath northern lights|"
                 "in autumn colors|in morning fog|at blue hour",
        elements="reflections in still water|leading lines|wildflowers|storm clouds|alpine peaks|"
                 "long exposure water|rocky foreground|hills|pine trees|sun stars|low clouds|mist layers|"
                 "ice formations|crashing waves|sand ripples|winding roads|tidal pools|larch trees",
        element_traits="soft|golden|dramatic|silky|glowing|jagged|distant|frosted|rolling",
        style_phrases="wide-angle landscape|graduated filter|national park|epic vista|foreground interest|"
                      "hdr landscape|alpenglow|ansel adams inspired|dramatic sky|serene landscape mood|"
                      "long exposure|grandeur of nature|crisp air|postcard view|layers of mountains|"
                      "polarizer-rich blues",
    ),
    _domain(
        "aerial_photography", "Aerial photography", "photograph", "aerial drone photograph",
        subjects="coastline|river delta|farmland|city grid|highway interchange|salt pan|rainforest canopy|island|"
                 "harbor|stadium|vineyard|ice floe",
        subject_traits="winding|patchwork|turquoise|sprawling|remote|geometric|snow-covered|sunlit|misty",
        settings="from directly above|at golden hour|in early morning fog|at low tide|after heavy rain|in autumn|"
                 "at dusk|under scattered clouds",
        elements="cloud shadows|boats|roads|shorelines|rivers|fields|rooftops|swimming pools|surf lines|"
                 "tree lines|salt ponds|cars|footpaths|sandbars|docks|container ships|wind turbines|railway tracks",
        element_traits="winding|tiny|turquoise|geometric|scattered|glittering|patchwork|long|colorful",
        style_phrases="top-down view|drone shot|bird's-eye view|abstract patterns from above|dji mavic|"
                      "map-like perspective|symmetry from the sky|satellite-like view|sense of scale|minimal aerial|"
                      "vivid aerial colors|natural patterns|planet earth documentary|graphic composition|"
                      "drone photography|orthogonal framing",
    ),
    _domain(
        "surreal_dreamscapes", "Surreal dreamscapes", "painting", "surrealist painting",
        subjects="floating staircase|clock tower|giant moon|door in the desert|upside-down city|whale in the sky|"
                 "hourglass|endless library|lone tree|chessboard plain|teacup ocean|paper boat",
        subject_traits="impossible|dreamlike|colossal|melting|inverted|luminous|solitary|fractured|silent",
        settings="in a pastel desert|above an endless ocean|inside a glass sphere|on a checkered plain|"
                 "among floating islands|beneath a sky of eyes|at the edge of a dream|in a room without walls",
        elements="rocks|drifting clouds|clocks|mirrors|ladders|doors|staircases|balloons|feathers|keys|"
                 "fish in the air|curtains|birdcages|moons|ribbons|geometric shapes|shadows|origami birds",
        element_traits="floating|melting|endless|tiny|glowing|shattered|spiraling|giant|distorted",
        style_phrases="salvador dali style|magritte inspired|dream logic|surrealism|otherworldly|uncanny calm|"
                      "pastel dreamscape|metaphysical art|impossible geometry|symbolic imagery|liminal space|"
                      "soft surreal light|de chirico shadows|subconscious imagery|whimsical mystery|"
                      "hyperreal surrealism",
    ),
    _domain(
        "pet_portraits", "Pet portraits", "photograph", "pet portrait photograph",
        subjects="golden retriever puppy|tabby cat|french bulldog|border collie|siamese cat|corgi|rabbit|parrot|"
                 "husky|dachshund|maine coon|pug",
        subject_traits="fluffy|sleepy|playful|curious|grumpy|happy|elegant|scruffy|tiny",
        settings="on a velvet armchair|in a sunlit garden|on a cozy knitted blanket|by a rainy window|"
                 "in a field of flowers|on a wooden porch|in front of a fireplace|on a sandy beach",
        elements="fur|whiskers|floppy ears|wet nose|tongue out|paws|knitted sweater|bow tie|collar tag|"
                 "tennis ball|chew toy|food bowl|wagging tail|head tilt|catchlights|feathers|cushions|autumn leaves",
        element_traits="soft|fluffy|glossy|tiny|shiny|colorful|little|warm|velvety",
        style_phrases="pet photography|eye-level with the pet|shallow focus on the eyes|adorable expression|"
                      "studio pet portrait|natural window light|playful moment|heartwarming|sharp eyes|"
                      "cozy home vibe|lifestyle pet shot|golden light|fine fur detail|classic pet portrait|"
                      "candid pet moment|wholesome mood",
    ),
    _domain(
        "comic_book_heroes", "Comic book heroes", "illustration", "comic book illustration",
        subjects="caped superhero|vigilante|armored heroine|supervillain|sidekick|speedster|alien warrior|"
                 "detective|space ranger|mutant|robot guardian|sorceress",
        subject_traits="heroic|brooding|battle-worn|muscular|mysterious|fierce|young|legendary|masked",
        settings="atop a city skyscraper|in a collapsing city street|in a secret lair|above a burning metropolis|"
                 "in a rain-soaked alley|on an alien battlefield|in a sci-fi laboratory|under a stormy sky",
        elements="flowing capes|speed lines|energy blasts|glass shards|action panels|sound effects|shockwaves|"
                 "city lights|spotlights|debris|lightning|emblems|gauntlets|combat boots|laser beams|smoke clouds|"
                 "rooftops|explosions",
        element_traits="crackling|bold|glowing|dramatic|shattered|bright|dynamic|blazing|jagged",
        style_phrases="ben-day dots|bold ink outlines|dynamic perspective|marvel style|dc comics style|"
                      "splash page|vintage comic|halftone shading|cel-shaded colors|action pose|graphic novel art|"
                      "dramatic foreshortening|golden age comics|heroic stance|inked by hand|"
                      "vibrant primary colors",
    ),
)
