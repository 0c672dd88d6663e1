# The installed tree and the Debian package, run from where they were
# unpacked, away from the source tree (tests/install/install_test.py).
if(TARGET trustcoach_server)
  add_test(NAME install_and_package
    COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/install_test.py
            --build ${CMAKE_BINARY_DIR} --source ${CMAKE_SOURCE_DIR}
            --binary $<TARGET_FILE:trustcoach>)
  set_tests_properties(install_and_package PROPERTIES LABELS package
    SKIP_RETURN_CODE 77 COST 45)
endif()
