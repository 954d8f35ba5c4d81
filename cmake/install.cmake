# `make install` / `cmake --install`: what a machine running Berth gets (docs/install.md).
# Directories follow GNUInstallDirs, so CMAKE_INSTALL_PREFIX (the Makefile's PREFIX) and
# DESTDIR are honoured; every file that names a path is configured from the same variables
# (berth.pc, the unit, the example config, the man pages). Runtime state never moves with
# the prefix: systemd's StateDirectory/LogsDirectory are /var/lib/berth and /var/log/berth.
include(GNUInstallDirs)

set(BERTH_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
    "where berthd.service goes (relative to the prefix unless absolute)")
set(BERTH_SYSUSERSDIR "lib/sysusers.d" CACHE STRING
    "where sysusers.d/berth.conf goes (relative to the prefix unless absolute)")

# out = dir when absolute, else base/dir.
function(berth_under out base dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "${base}/${dir}" PARENT_SCOPE)
  endif()
endfunction()
berth_under(BERTH_FULL_SYSTEMD_UNITDIR "${CMAKE_INSTALL_PREFIX}" "${BERTH_SYSTEMD_UNITDIR}")
berth_under(BERTH_FULL_SYSUSERSDIR "${CMAKE_INSTALL_PREFIX}" "${BERTH_SYSUSERSDIR}")
set(BERTH_SBINDIR ${CMAKE_INSTALL_FULL_SBINDIR})
set(BERTH_CONFIG_PATH ${CMAKE_INSTALL_FULL_SYSCONFDIR}/berth/config.yml)
set(BERTH_ENV_PATH ${CMAKE_INSTALL_FULL_SYSCONFDIR}/berth/berthd.env)

# berth.pc: relative directories are written as ${prefix}/..., so PKG_CONFIG_SYSROOT_DIR and
# pkg-config --define-prefix work; an absolute CMAKE_INSTALL_LIBDIR is kept as given.
berth_under(PC_LIBDIR "\${prefix}" "${CMAKE_INSTALL_LIBDIR}")
berth_under(PC_INCLUDEDIR "\${prefix}" "${CMAKE_INSTALL_INCLUDEDIR}")

set(PKG_OUT ${CMAKE_BINARY_DIR}/packaging)
configure_file(${CMAKE_SOURCE_DIR}/cmake/berth.pc.in ${PKG_OUT}/berth.pc @ONLY)
configure_file(${CMAKE_SOURCE_DIR}/packaging/berthd.service.in ${PKG_OUT}/berthd.service @ONLY)
configure_file(${CMAKE_SOURCE_DIR}/packaging/config.yml.in ${PKG_OUT}/config.yml @ONLY)
foreach(page berthd.8 berth.1)
  configure_file(${CMAKE_SOURCE_DIR}/packaging/man/${page}.in ${PKG_OUT}/${page} @ONLY)
endforeach()

install(TARGETS berthd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(TARGETS berth RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS berth_static berth_shared
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/berth ${GEN_INCLUDE}/berth
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PKG_OUT}/berth.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(FILES ${PKG_OUT}/berthd.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${PKG_OUT}/berth.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PKG_OUT}/config.yml DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/berth)
install(FILES ${PKG_OUT}/berthd.service DESTINATION ${BERTH_SYSTEMD_UNITDIR})
install(FILES ${CMAKE_SOURCE_DIR}/packaging/sysusers.conf DESTINATION ${BERTH_SYSUSERSDIR}
        RENAME berth.conf)
