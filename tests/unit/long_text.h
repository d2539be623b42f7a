#pragma once
// The baseline long text (shared/baselines/texts/long.txt), embedded so the unit tests need no
// file system layout. Shared by the segmentation tests.

#include <string_view>

namespace lector::text::testdata {

constexpr std::string_view kLongText =
    "The lighthouse stood at the end of a narrow spit of rock, a mile from the nearest "
    "village and farther still from anything that could be called a town. For most of its "
    "history it had been tended by a single keeper, who lived in the small white cottage at "
    "its base and climbed the spiral stairs four times each night to trim the wick, wind the "
    "clockwork, and polish the great glass lens until it shone.\n\n"
    "The last keeper was a quiet woman named Margaret Hale. She had come to the station as a "
    "young widow, expecting to stay a season or two, and she remained for thirty-one years. "
    "In that time she kept a logbook in a careful, slanting hand, recording the weather at "
    "dawn and dusk, the ships that passed, and the birds that struck the lantern glass during "
    "the autumn migration. The logbooks fill a whole shelf in the village library now, and on "
    "rainy afternoons people still take them down to read.\n\n"
    "Her entries are brief, but they reveal a great deal. On a calm evening in June she noted "
    "that the sea was as flat as a pewter plate and that she could hear the church bells from "
    "across the bay. On a January night she wrote only three words: wind, ice, no sleep. "
    "Again and again she mentioned the fishing boats by name, and when one of them failed to "
    "return she left a blank line in the book, as if holding a place for it.\n\n"
    "The work itself was repetitive and unforgiving. Oil had to be carried up one hundred and "
    "twelve steps in heavy cans. The brass fittings corroded in the salt air and had to be "
    "scrubbed every week. In fog, the keeper sounded a horn at fixed intervals for as long as "
    "the fog lasted, sometimes for two or three days without rest. A single mistake, a light "
    "that went out for even a quarter of an hour, could send a ship onto the rocks below.\n\n"
    "Yet Margaret seems to have loved it. She planted a garden in the thin soil behind the "
    "cottage and coaxed potatoes, onions, and a stubborn row of sweet peas out of the ground. "
    "She taught herself to identify more than eighty kinds of seabird. She corresponded with "
    "a professor at the university, sending him careful descriptions of the storms she "
    "watched roll in from the west, and he later credited her observations in a book about "
    "coastal weather.\n\n"
    "When the light was finally automated, an engineer arrived with a crate of electrical "
    "equipment and spent a week installing it. He was polite and efficient, and he told her, "
    "not unkindly, that the machine would never need to sleep. Margaret packed her belongings "
    "into four wooden boxes, gave her garden tools to a neighbor, and moved into a room above "
    "the bakery in the village. She lived there for another nineteen years.\n\n"
    "People who knew her in those later years remember that she walked out to the end of the "
    "harbor wall every evening at sunset. She would stand there until the beam came on, "
    "sweeping across the water in its steady rhythm, and then she would nod once, as if "
    "satisfied that everything was in order, and turn back toward home.\n\n"
    "The lighthouse still works today. A small computer in a locked cabinet decides when to "
    "switch the lamp on and off, and a technician visits twice a year to check the batteries "
    "and clean the lens. Tourists come in the summer to photograph the white tower against "
    "the blue sky, and a few of them find their way to the library, where the logbooks wait "
    "on their shelf, patient and complete, like the woman who wrote them.\n";

}  // namespace lector::text::testdata
