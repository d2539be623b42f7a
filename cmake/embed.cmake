# Turns INPUT into a C++ source defining lector::api::page_html() as a string_view.
file(READ ${INPUT} hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUTPUT} "#include <string_view>\nnamespace lector::api {\nnamespace {\nconstexpr unsigned char kPage[] = {${bytes} 0};\n}\nstd::string_view page_html() { return {reinterpret_cast<const char*>(kPage), ${size}}; }\n}  // namespace lector::api\n")
