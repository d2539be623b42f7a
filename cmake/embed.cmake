# Embeds files into the binary at build time, each as a function returning a std::string_view.
#
# Included from CMakeLists.txt, it defines
#   lector_embed(TARGET <target> INPUT <file> NAMESPACE <ns> FUNCTION <name>)
# which adds a generated source to <target> defining `std::string_view <ns>::<name>()`; the
# code that calls it declares that function itself. The bytes are written as a hex array, so
# any file (HTML, Scheme, binary) embeds unchanged, and a trailing NUL follows them.
#
# Run as a script (cmake -DINPUT=... -DOUTPUT=... -DNAMESPACE=... -DFUNCTION=... -P embed.cmake),
# it writes that source; lector_embed's build rule does this whenever the input changes.

if(CMAKE_SCRIPT_MODE_FILE)
  file(READ ${INPUT} hex HEX)
  string(LENGTH "${hex}" hex_len)
  math(EXPR size "${hex_len} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  file(WRITE ${OUTPUT}
       "#include <string_view>\n"
       "namespace ${NAMESPACE} {\n"
       "namespace {\n"
       "constexpr unsigned char kData[] = {${bytes} 0};\n"
       "}\n"
       "std::string_view ${FUNCTION}() {\n"
       "  return {reinterpret_cast<const char*>(kData), ${size}};\n"
       "}\n"
       "}  // namespace ${NAMESPACE}\n")
  return()
endif()

set(LECTOR_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_FILE})

function(lector_embed)
  cmake_parse_arguments(ARG "" "TARGET;INPUT;NAMESPACE;FUNCTION" "" ${ARGN})
  if(NOT ARG_TARGET OR NOT ARG_INPUT OR NOT ARG_NAMESPACE OR NOT ARG_FUNCTION)
    message(FATAL_ERROR "lector_embed: TARGET, INPUT, NAMESPACE and FUNCTION are required")
  endif()
  get_filename_component(input ${ARG_INPUT} ABSOLUTE BASE_DIR ${PROJECT_SOURCE_DIR})
  file(RELATIVE_PATH shown ${PROJECT_SOURCE_DIR} ${input})
  set(output ${PROJECT_BINARY_DIR}/generated/embed_${ARG_FUNCTION}.cpp)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${input} -DOUTPUT=${output} -DNAMESPACE=${ARG_NAMESPACE}
            -DFUNCTION=${ARG_FUNCTION} -P ${LECTOR_EMBED_SCRIPT}
    DEPENDS ${input} ${LECTOR_EMBED_SCRIPT}
    COMMENT "Embedding ${shown}"
    VERBATIM)
  target_sources(${ARG_TARGET} PRIVATE ${output})
endfunction()
