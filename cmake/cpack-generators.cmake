# Per generator: the .deb installs under /usr, the tarball is relocatable
# (bin/, share/ at its top, under one wsgate-<version>-linux-x86_64/ folder).
if(CPACK_GENERATOR STREQUAL "DEB")
  set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
else()
  set(CPACK_PACKAGING_INSTALL_PREFIX /)
endif()
