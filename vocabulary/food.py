"""Food words -> the X-Wines pairing categories ("Harmonize") a wine lists: dishes, cuts, cheeses, seafood,
cuisines. A word may mean several categories ("duck": poultry or game); any of them is a fitting wine."""

from __future__ import annotations

from functools import lru_cache

from vocabulary.text import fold_key

# `Category, Category: word, word` — the categories exactly as X-Wines spells them.
_FOOD = """
Beef, Barbecue: beef, steak, steaks, ribeye, rib eye, sirloin, t bone, tbone, filet mignon, fillet steak, tenderloin, brisket, short ribs, short rib, prime rib, roast beef, beef stew, stew, goulash, burger, burgers, hamburger, cheeseburger, meatballs, meatloaf, bolognese, chili, chilli, chili con carne, beef wellington, bourguignon, boeuf bourguignon, carpaccio, tartare, steak tartare, oxtail, veal chop, entrecote, picanha, asado, churrasco, flank steak, skirt steak, strip steak, porterhouse, pot roast, bbq, barbecue, barbeque, grill, grilled meat, braise, braised beef, red meat, cottage pie, shepherds pie, lasagne bolognese, fajitas, tacos, pastrami
Lamb: lamb, lamb chops, lamb chop, rack of lamb, leg of lamb, lamb shank, lamb shanks, mutton, moussaka, lamb curry, kofta, kebab, kebabs, souvlaki, gyros, tagine, shepherd's pie, roast lamb
Poultry, Chicken: chicken, roast chicken, fried chicken, chicken wings, wings, coq au vin, poultry, turkey, thanksgiving, christmas dinner, quail, guinea fowl, goose, capon, cornish hen, chicken pie, chicken parmesan, chicken tikka, schnitzel, nuggets
Poultry, Game Meat, Duck: duck, duck breast, confit, duck confit, peking duck, magret, pheasant, partridge, pigeon, squab, grouse
Game Meat: game, venison, deer, boar, wild boar, rabbit, hare, elk, bison, buffalo, kangaroo, moose, reindeer, woodcock
Pork, Ham: pork, pork chops, pork chop, pork belly, pulled pork, ribs, spare ribs, spareribs, pork loin, roast pork, porchetta, sausage, sausages, bratwurst, ham, gammon, bacon, carnitas, schnitzel, choucroute, cassoulet, suckling pig, char siu, hot dog
Veal: veal, osso buco, ossobuco, vitello tonnato, saltimbocca, wiener schnitzel, veal escalope, blanquette
Cured Meat, Cold Cuts: charcuterie, salami, prosciutto, jamon, jamón, chorizo, cured meat, cured meats, cold cuts, pate, pâté, terrine, coppa, bresaola, speck, salumi, antipasti, antipasto, mortadella, pancetta
Rich Fish: tuna, salmon, mackerel, swordfish, trout, sardines, sardine, anchovies, anchovy, herring, eel, smoked salmon, gravlax, tuna steak, seared tuna, sashimi, sushi, poke, arctic char, bluefish, kingfish, monkfish, mahi mahi, rich fish, oily fish, fish pie
Lean Fish, Codfish: white fish, cod, codfish, bacalhau, bacalao, sole, halibut, sea bass, seabass, bass, haddock, hake, tilapia, plaice, turbot, snapper, pike, perch, fish and chips, fish tacos, ceviche, sea bream, dorade, branzino, flounder, pollock, lean fish, grilled fish, fried fish
Shellfish, Seafood: shellfish, seafood, oysters, oyster, prawns, prawn, shrimp, shrimps, scampi, lobster, crab, crabs, langoustine, langoustines, mussels, moules, clams, clam, scallops, scallop, calamari, squid, octopus, paella, bouillabaisse, crayfish, crawfish, sea urchin, cioppino, seafood pasta, fruits de mer, frutti di mare, shrimp scampi, lobster roll, crab cakes
Pasta: pasta, spaghetti, lasagne, lasagna, carbonara, penne, linguine, fettuccine, tagliatelle, pappardelle, ravioli, tortellini, gnocchi, macaroni, mac and cheese, pesto, amatriciana, arrabbiata, cacio e pepe, puttanesca, alfredo, noodles, orecchiette, rigatoni
Pizza, Tomato Dishes, Pasta: pizza, margherita, calzone, tomato, tomatoes, tomato sauce, marinara, bruschetta, parmigiana
Risotto, Mushrooms: risotto
Mushrooms, Vegetarian: mushroom, mushrooms, truffle, truffles, porcini, chanterelles, morels, shiitake, mushroom risotto
Vegetarian, Salad: vegetarian, vegetables, veggie, vegetable, veg, vegan food, tofu, ratatouille, eggplant, aubergine, zucchini, courgette, lentils, chickpeas, falafel, hummus, quiche, omelette, eggs, frittata, salad, salads, caesar salad, asparagus, artichoke, beetroot, squash, pumpkin, roasted vegetables, grilled vegetables, stir fry, nut roast, greek salad, caprese, spinach, halloumi
Spicy Food: spicy, spicy food, curry, curries, thai, thai food, green curry, red curry, indian, indian food, tikka masala, vindaloo, korma, biryani, szechuan, sichuan, chinese food, mexican food, tex mex, enchiladas, jambalaya, cajun, jerk chicken, kimchi, korean, vietnamese, pad thai, hot wings, buffalo wings, harissa, sriracha, laksa, rendang, dal, samosa, asian, takeaway
Soft Cheese: brie, camembert, soft cheese, burrata, mozzarella, ricotta, triple cream, brillat savarin, reblochon, taleggio, epoisses, époisses, munster, mont d'or, vacherin, fontina, raclette, fondue
Hard Cheese, Maturated Cheese: cheddar, parmesan, parmigiano, parmigiano reggiano, grana padano, pecorino, manchego, gruyere, gruyère, comte, comté, emmental, gouda, aged gouda, hard cheese, aged cheese, mature cheese, beaufort, mimolette, jarlsberg, aged cheddar, idiazabal, asiago, provolone
Blue Cheese: blue cheese, stilton, roquefort, gorgonzola, cabrales, danish blue, dolcelatte
Goat Cheese: goat cheese, goats cheese, goat's cheese, chevre, chèvre, crottin, feta, halloumi, sainte maure, valencay, goat
Hard Cheese, Soft Cheese, Maturated Cheese, Blue Cheese, Goat Cheese, Cheese: cheese, cheeses, cheese platter, cheeseboard, cheese board, cheese plate, cheese course, fromage
Sweet Dessert, Cake, Dessert, Chocolate: dessert, desserts, pudding, cake, cakes, cheesecake, tiramisu, creme brulee, crème brûlée, panna cotta, chocolate, chocolate cake, brownie, brownies, pastry, pastries, pie, pecan pie, sticky toffee pudding, baklava, macarons, cookies, biscotti, ice cream, gelato, flan, custard, christmas pudding, profiteroles, mousse, foie gras, creme caramel, cannoli, donuts, doughnuts, pavlova
Fruit Dessert, Fruit, Sweet Dessert: apple tart, apple pie, tarte tatin, fruit tart, fruit salad, fruit, fruits, berries, strawberries, peach cobbler, crumble, apple crumble, lemon tart, sorbet, poached pears, pear tart, cobbler, trifle, fruit dessert
Appetizer, Snack, Aperitif: appetizer, appetizers, appetiser, appetisers, starter, starters, canapes, canapés, tapas, nibbles, snacks, snack, finger food, aperitif, apéritif, aperitivo, hors d'oeuvres, olives, nuts, crisps, chips, popcorn, party food, crackers, dips, mezze, meze, pintxos, amuse bouche
Snack, French Fries: fries, french fries, chips and dip, pretzels
Rich Fish, Lean Fish, Fish: fish, fish dishes, seafood platter
Light Stews: casserole, light stew, pot au feu, fricassee
"""


def _build() -> dict[str, tuple[str, ...]]:
    index: dict[str, tuple[str, ...]] = {}
    for line in _FOOD.strip().splitlines():
        cats, _, foods = line.partition(":")
        categories = tuple(c.strip() for c in cats.split(","))
        for food in foods.split(","):
            key = fold_key(food)
            if key:
                index[key] = tuple(dict.fromkeys([*index.get(key, ()), *categories]))
    return index


FOODS = _build()
FOOD_WORDS = max(len(k.split()) for k in FOODS)
PAIRING_CATEGORIES = tuple(dict.fromkeys(c for cats in FOODS.values() for c in cats))


@lru_cache(maxsize=4096)
def find_food(phrase: str) -> tuple[str, ...]:
    """The pairing categories a dish, cut, cheese or cuisine calls for ("ribeye" -> Beef, Barbecue), or ()."""
    key = fold_key(phrase)
    found = FOODS.get(key)
    if found is None and key.endswith("s") and len(key) > 4:
        found = FOODS.get(key[:-1])
    return found or ()
