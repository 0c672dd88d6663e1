# The layers of docs/architecture.md: nothing includes a layer above it.
add_test(NAME layering
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_SOURCE_DIR}
          -P ${CMAKE_CURRENT_LIST_DIR}/check_includes.cmake)
