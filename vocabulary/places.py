"""Countries (with adjectives, demonyms and short names) and regions (with their English names and the
sub-regions a shopper means by them: "tuscan" covers Chianti and Brunello di Montalcino)."""

from __future__ import annotations

from vocabulary.text import fold_key


def _table(spec: str) -> dict[str, str]:
    """`Canonical: alias, alias` lines -> {folded name or alias: canonical}."""
    index: dict[str, str] = {}
    for line in spec.strip().splitlines():
        name, _, aliases = line.partition(":")
        for key in [name, *aliases.split(",")]:
            if key.strip():
                index[fold_key(key)] = name.strip()
    return index


# Countries as the catalog (X-Wines) names them, then local names, short names and adjectives.
COUNTRIES = _table("""
France: french, francais, française
Italy: italia, italian, italiano
Spain: españa, spanish, espanol, español
Portugal: portuguese, português
Germany: deutschland, german, deutsch
Austria: österreich, austrian
Switzerland: schweiz, suisse, svizzera, swiss
Greece: hellas, greek
Hungary: magyarország, hungarian, magyar
Slovenia: slovenian, slovene
Croatia: hrvatska, croatian
Georgia: sakartvelo, georgian
Romania: romanian
Moldova: moldovan
Bulgaria: bulgarian
Lebanon: lebanese
Israel: israeli
Malta: maltese
Turkey: turkish, türkiye
Czech Republic: czechia, czech
Russia: russian
Ukraine: ukrainian
United Kingdom: uk, great britain, britain, england, english, british
United States: usa, us, u s a, united states of america, america, american, states
Canada: canadian
Mexico: méxico, mexican
Chile: chilean
Argentina: argentinian, argentine, argentinean
Uruguay: uruguayan
Brazil: brasil, brazilian
Australia: australian, aussie, oz
New Zealand: nz, aotearoa, kiwi, new zealander
South Africa: rsa, south african
China: chinese
Japan: japanese
""")

# Region words -> the catalog values they cover. The first value is the region's own catalog spelling;
# the rest are sub-regions (a "bordeaux" shopper is glad of a Pauillac).
_REGIONS = """
Bordeaux: bordeaux, claret | Saint-Émilion Grand Cru, Saint-Émilion, Pauillac, Margaux, Pessac-Léognan, Médoc, Haut-Médoc, Pomerol, Saint-Julien, Saint-Estèphe, Graves, Sauternes, Barsac, Entre-Deux-Mers, Côtes de Bourg, Listrac-Médoc, Moulis-en-Médoc, Lalande-de-Pomerol, Fronsac
Bourgogne: burgundy, burgundian | Chablis, Côte de Nuits, Côte de Beaune, Meursault, Puligny-Montrachet, Chassagne-Montrachet, Gevrey-Chambertin, Nuits-Saint-Georges, Vosne-Romanée, Pommard, Volnay, Mâcon, Pouilly-Fuissé, Mercurey, Beaune, Chambolle-Musigny, Corton, Givry, Rully, Santenay, Saint-Véran
Champagne: champagne
Alsace: alsace, alsatian
Loire: loire, loire valley, val de loire | Sancerre, Vouvray, Muscadet, Pouilly-Fumé, Chinon, Saumur, Anjou, Touraine, Bourgueil, Savennières, Saumur-Champigny, Muscadet Sèvre et Maine
Rhône: rhone, rhone valley, vallee du rhone | Côtes du Rhône, Châteauneuf-du-Pape, Côte-Rôtie, Hermitage, Crozes-Hermitage, Gigondas, Vacqueyras, Saint-Joseph, Cornas, Condrieu, Tavel, Lirac, Côtes du Rhône Villages, Ventoux
Beaujolais: beaujolais | Morgon, Fleurie, Moulin-à-Vent, Brouilly, Juliénas, Chiroubles, Régnié, Saint-Amour, Chénas, Beaujolais-Villages
Provence: provence, provencal | Côtes de Provence, Bandol, Cassis, Coteaux d'Aix-en-Provence
Languedoc: languedoc, roussillon, languedoc roussillon | Languedoc, Pays d'Oc, Minervois, Corbières, Faugères, Pic Saint-Loup, Saint-Chinian, Fitou, Côtes du Roussillon, Banyuls, Limoux
Toscana: tuscany, tuscan, toscana | Chianti, Chianti Classico, Brunello di Montalcino, Rosso di Montalcino, Bolgheri, Vino Nobile di Montepulciano, Morellino di Scansano, Maremma Toscana, Carmignano, Montalcino, Bolgheri Superiore, Vernaccia di San Gimignano
Piemonte: piedmont, piemonte, piedmontese | Barolo, Barbaresco, Langhe, Barbera d'Alba, Barbera d'Asti, Dolcetto d'Alba, Moscato d'Asti, Asti, Roero, Gavi, Nebbiolo d'Alba, Alba, Monferrato, Gattinara
Veneto: veneto, venetian | Valpolicella, Amarone della Valpolicella, Valpolicella Ripasso, Soave, Prosecco, Prosecco Superiore, Conegliano Valdobbiadene Prosecco, Bardolino, Lugana, Valpolicella Classico, Valpolicella Classico Superiore, Delle Venezie
Sicilia: sicily, sicilian, sicilia | Etna, Terre Siciliane, Marsala
Puglia: puglia, apulia | Salento, Primitivo di Manduria
Saint-Émilion: st emilion, saint emilion | Saint-Émilion Grand Cru
Saint-Émilion Grand Cru: st emilion grand cru
Pauillac:
Médoc: medoc
Sancerre:
Chablis:
Côtes du Rhône: cotes du rhone
Châteauneuf-du-Pape: chateauneuf du pape, chateauneuf
Barolo:
Chianti: | Chianti Classico
Chianti Classico:
Langhe:
Rioja: rioja, la rioja, riojan
Ribera del Duero: ribera, ribera del duero
Priorat: priorat, priorato
Catalunya: catalonia, catalan | Penedès, Cava, Priorat, Montsant, Empordà, Costers del Segre, Catalunya
Douro: douro, douro valley | Porto, Port
Porto: port, oporto, porto
Vinho Verde: vinho verde, minho | Minho
Alentejo: alentejo, alentejano | Alentejano
Mosel: mosel, moselle, mosel saar ruwer
Rheingau: rheingau
Pfalz: pfalz, palatinate
Wachau: wachau
Tokaj: tokaj, tokaji
Napa Valley: napa, napa valley | Rutherford, Oakville, Stags Leap District, Howell Mountain, Mount Veeder, Calistoga, Yountville, St. Helena, Carneros
Sonoma County: sonoma, sonoma county | Sonoma Coast, Russian River Valley, Alexander Valley, Dry Creek Valley, Sonoma Valley
California: california, californian, cali | Napa Valley, Sonoma County, Sonoma Coast, Central Coast, Paso Robles, Santa Barbara County, Lodi, Russian River Valley, Monterey County, Santa Rita Hills, Mendocino County
Willamette Valley: willamette, oregon | Dundee Hills, Eola-Amity Hills, Chehalem Mountains
Mendoza: mendoza | Lujan de Cuyo, Uco Valley, Valle de Uco, Maipú, Tupungato
Marlborough: marlborough
Barossa Valley: barossa, barossa valley
Stellenbosch: stellenbosch
Serra Gaúcha: serra gaucha | Vale dos Vinhedos
Colchagua Valley: colchagua
Central Valley (CL): central valley | Maipo Valley, Colchagua Valley, Rapel Valley, Curicó Valley, Maule Valley
Niagara Peninsula: niagara
Margaret River: margaret river
"""


def _regions() -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    covers: dict[str, tuple[str, ...]] = {}  # folded alias -> catalog values it covers
    display: dict[str, str] = {}  # folded alias -> the region's name
    for line in _REGIONS.strip().splitlines():
        name, _, rest = line.partition(":")
        aliases, _, subs = rest.partition("|")
        values = tuple(dict.fromkeys([name.strip(), *(s.strip() for s in subs.split(",") if s.strip())]))
        for alias in [name, *aliases.split(",")]:
            if alias.strip():
                covers[fold_key(alias)] = values
                display[fold_key(alias)] = name.strip()
    return covers, display


REGION_COVERS, REGION_NAMES = _regions()
REGIONS = REGION_NAMES  # folded alias -> the region's catalog name


def find_country(name: str) -> str | None:
    """The catalog's name for a country by any of its names or adjectives ("USA", "aussie"), or None."""
    return COUNTRIES.get(fold_key(name))


def country_spellings(value: str) -> tuple[str, ...]:
    """What a country filter matches: the value as given and the catalog's name for it ("USA", "United States")."""
    canonical = find_country(value)
    aliases = [k for k, v in COUNTRIES.items() if v == canonical] if canonical else []
    return tuple(dict.fromkeys([value, canonical or value, *aliases]))


def find_region(name: str) -> tuple[str, tuple[str, ...]] | None:
    """(region name, the catalog values it covers) for a region word ("tuscan"), or None."""
    key = fold_key(name)
    return (REGION_NAMES[key], REGION_COVERS[key]) if key in REGION_COVERS else None


def region_spellings(value: str) -> tuple[str, ...]:
    """What a region filter matches: the value itself, plus what a known region covers."""
    found = find_region(value)
    return tuple(dict.fromkeys([value, *(found[1] if found else ())]))
