# CPack pre-build script for the tarball only (cmake/cpack-generators.cmake):
# bundles the shared libraries into the staging tree before it is archived.
file(GLOB_RECURSE WSGATE_STAGED_BIN "${CPACK_TEMPORARY_DIRECTORY}/*/bin/wsgate"
     "${CPACK_TEMPORARY_DIRECTORY}/bin/wsgate")
list(LENGTH WSGATE_STAGED_BIN n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "bundle-libs: want one staged bin/wsgate, found: ${WSGATE_STAGED_BIN}")
endif()
get_filename_component(WSGATE_STAGED_ROOT "${WSGATE_STAGED_BIN}" DIRECTORY)
get_filename_component(WSGATE_STAGED_ROOT "${WSGATE_STAGED_ROOT}" DIRECTORY)
execute_process(COMMAND bash "${CPACK_WSGATE_SOURCE_DIR}/packaging/bundle-libs.sh" "${WSGATE_STAGED_ROOT}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "bundle-libs: packaging/bundle-libs.sh failed (${rc})")
endif()
