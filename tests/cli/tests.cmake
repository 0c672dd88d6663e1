# The trustcoach command line, end to end.
add_test(NAME cli
  COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/cli_test.py
          $<TARGET_FILE:trustcoach> ${TRUSTCOACH_DIALOGS_DIR})
set_tests_properties(cli PROPERTIES COST 20)
