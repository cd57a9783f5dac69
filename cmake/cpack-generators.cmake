# Per generator: the .deb installs under /usr and uses the system's
# libraries; the tarball is relocatable (bin/, lib/, share/ at its top, under
# one wsgate-<version>-linux-x86_64/ folder) and carries its libraries in
# lib/ (cmake/bundle-libs.cmake).
if(CPACK_GENERATOR STREQUAL "DEB")
  set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
else()
  set(CPACK_PACKAGING_INSTALL_PREFIX /)
  set(CPACK_PRE_BUILD_SCRIPTS ${CPACK_WSGATE_SOURCE_DIR}/cmake/bundle-libs.cmake)
endif()
