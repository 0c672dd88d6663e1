# The web widget (server/web/widget.js) in Debian's headless Chromium, driven by
# playwright-core (pinned in tests/browser/package-lock.json, with
# @axe-core/playwright) through node's test runner, against the real binary:
# each test file starts `trustcoach serve --store memory` on a free port.
# Screenshots land in tests/browser/artifacts/.
if(TARGET trustcoach_server)
  add_test(NAME browser_widget
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/run.sh $<TARGET_FILE:trustcoach>)
  # Alone, so Chromium is not starved of the machine's two cores.
  set_tests_properties(browser_widget PROPERTIES TIMEOUT 900 LABELS browser RUN_SERIAL TRUE)
endif()
