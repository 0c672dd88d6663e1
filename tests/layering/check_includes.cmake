# Fails when a lower layer includes a higher one: engine/ may include only
# engine/; store/ may not include server/ or cli/; server/ may not include
# cli/ (docs/architecture.md).
# Run as: cmake -DSOURCE_DIR=... -P check_includes.cmake
set(bad "")
foreach(rule "engine:store/|server/|cli/" "store:server/|cli/" "server:cli/")
  string(REPLACE ":" ";" parts "${rule}")
  list(GET parts 0 layer)
  list(GET parts 1 above)
  file(GLOB_RECURSE files ${SOURCE_DIR}/${layer}/*.h ${SOURCE_DIR}/${layer}/*.cc)
  foreach(file ${files})
    file(STRINGS ${file} lines REGEX "^#include \"(${above})")
    foreach(line ${lines})
      string(APPEND bad "\n  ${file}: ${line}")
    endforeach()
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "includes pointing up a layer:${bad}")
endif()
