# Writes a C++ source holding the bytes of some files, for rectify::data::detail::embedded_sample
# (sample.hpp). Run at build time by src/CMakeLists.txt, so the generated source lives only in
# the build directory:
#   cmake -DOUTPUT=out.cpp -DINPUTS=a.gz,b.gz -P embed_files.cmake
# (INPUTS is comma-separated: a CMake list would be split by add_custom_command.)
string(REPLACE "," ";" inputs "${INPUTS}")
string(REPEAT "[0-9a-f]" 32 sixteen_bytes)
set(names "")
set(arrays "")
set(entries "")
set(index 0)
foreach(input IN LISTS inputs)
  get_filename_component(name "${input}" NAME)
  list(APPEND names "${name}")
  file(READ "${input}" hex HEX)
  if(hex STREQUAL "")
    message(FATAL_ERROR "${input} is empty: nothing to embed")
  endif()
  # 16 bytes a line, each as 0xNN.
  string(REGEX REPLACE "(${sixteen_bytes})" "\\1\n" hex "${hex}")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(APPEND arrays "const std::uint8_t kFile${index}[] = {\n${hex}};\n")
  string(APPEND entries "    {\"${name}\", kFile${index}},\n")
  math(EXPR index "${index} + 1")
endforeach()

list(JOIN names ", " names)
set(source "// Generated at build time by src/rectify/data/embed_files.cmake from ${names}.
// Do not edit and do not commit: the build writes it again whenever an input changes.
#include \"rectify/data/sample.hpp\"

namespace rectify::data::detail {
namespace {

${arrays}
const EmbeddedFile kFiles[] = {
${entries}};

}  // namespace

std::span<const EmbeddedFile> embedded_sample() {
  return kFiles;
}

}  // namespace rectify::data::detail
")
file(WRITE "${OUTPUT}" "${source}")
