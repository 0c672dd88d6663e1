# End-to-end HTTP tests against the real `trustcoach serve` (stdlib Python),
# and the OpenAPI lint with @redocly/cli pinned in tests/http/package-lock.json.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND AND TARGET trustcoach_server)
  add_test(NAME http_api
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/api_test.py
            --binary $<TARGET_FILE:trustcoach>)
  set_tests_properties(http_api PROPERTIES TIMEOUT 600 LABELS http COST 40)
  add_test(NAME http_operations
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/operations_test.py
            --binary $<TARGET_FILE:trustcoach>)
  set_tests_properties(http_operations PROPERTIES TIMEOUT 300 LABELS http COST 13)
endif()
find_program(TRUSTCOACH_NPM npm)
if(TRUSTCOACH_NPM AND EXISTS ${CMAKE_CURRENT_LIST_DIR}/package-lock.json)
  add_test(NAME openapi_lint
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/lint_openapi.sh)
  set_tests_properties(openapi_lint PROPERTIES TIMEOUT 600 LABELS http)
endif()
