# The layers' rule, checked two ways: (1) for every pair of layers, a file in src/rectify/L that
# includes a header of layer U, preprocessed with the include directories of the library L
# (rectify_L), compiles exactly when U is L or below it; (2) every #include "rectify/..." in the
# sources of L names L or a layer below it, and none climbs out with "..".
#
# cmake -DCXX=... -DSOURCE_DIR=<repo>/src/rectify -DINCLUDES_<layer>=dir|dir|... -P check_layers.cmake

# What each layer may include: itself and the layers below it (src/CMakeLists.txt, README).
set(allowed_io io)
set(allowed_act act)
set(allowed_diag diag act)
set(allowed_data data act)
set(allowed_timing timing act)
set(allowed_nn nn diag act)
set(allowed_train train nn diag data io act)
set(allowed_lab lab train timing nn diag data io act)
set(allowed_dist dist train nn diag data io act)
set(layers io act diag data timing nn train lab dist)

set(failures 0)
macro(failure message)
  message(SEND_ERROR "${message}")
  math(EXPR failures "${failures} + 1")
endmacro()

# (1) The compiler's view.
set(work ${CMAKE_CURRENT_BINARY_DIR}/check_layers_work)
file(MAKE_DIRECTORY ${work})
foreach(upper IN LISTS layers)
  file(GLOB headers RELATIVE ${SOURCE_DIR} ${SOURCE_DIR}/${upper}/*.hpp)
  list(SORT headers)
  list(GET headers 0 header_${upper})
endforeach()
foreach(layer IN LISTS layers)
  if(NOT DEFINED INCLUDES_${layer})
    message(FATAL_ERROR "no INCLUDES_${layer}")
  endif()
  string(REPLACE "|" ";" dirs "${INCLUDES_${layer}}")
  set(flags)
  foreach(dir IN LISTS dirs)
    list(APPEND flags -I${dir})
  endforeach()
  foreach(upper IN LISTS layers)
    set(header "rectify/${header_${upper}}")
    file(WRITE ${work}/probe.cpp "#include \"${header}\"\n")
    # Read from stdin in the layer's own directory: quoted includes are looked up there first,
    # as for a source file of the layer.
    execute_process(COMMAND ${CXX} -std=c++20 -E -x c++ - ${flags}
                    WORKING_DIRECTORY ${SOURCE_DIR}/${layer}
                    INPUT_FILE ${work}/probe.cpp
                    OUTPUT_QUIET ERROR_VARIABLE error RESULT_VARIABLE status)
    list(FIND allowed_${layer} ${upper} index)
    if(index GREATER_EQUAL 0)
      if(NOT status EQUAL 0)
        failure("${layer} cannot include ${header}, a header of a layer below it:\n${error}")
      endif()
    elseif(status EQUAL 0)
      failure("${layer} can include ${header}: the build does not keep ${upper} out of ${layer}")
    elseif(NOT error MATCHES "${header}: No such file or directory")
      failure("${layer} including ${header} failed for another reason than the layers:\n${error}")
    else()
      message(STATUS "${layer} -> ${header}: refused, as it should be")
    endif()
  endforeach()
endforeach()

# (2) The sources' view.
foreach(layer IN LISTS layers)
  file(GLOB_RECURSE sources ${SOURCE_DIR}/${layer}/*.hpp ${SOURCE_DIR}/${layer}/*.cpp
       ${SOURCE_DIR}/${layer}/*.h)
  foreach(source IN LISTS sources)
    file(STRINGS ${source} includes REGEX "^[ \t]*#[ \t]*(include|define HWY_TARGET_INCLUDE)[ \t]")
    foreach(line IN LISTS includes)
      if(line MATCHES "\"([^\"]*)\"")
        set(path ${CMAKE_MATCH_1})
        if(path MATCHES "\\.\\.")
          failure("${source}: ${line}: no relative include out of the layer")
        elseif(path MATCHES "^rectify/([a-z_]+)/")
          list(FIND allowed_${layer} ${CMAKE_MATCH_1} index)
          if(index LESS 0)
            failure("${source}: ${line}: ${layer} may not include ${CMAKE_MATCH_1}")
          endif()
        endif()
      endif()
    endforeach()
  endforeach()
endforeach()

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} violation(s) of the layers")
endif()
message(STATUS "layers: every upward include refused, every downward one allowed")
