/*
 * Where files a SPICE client sends are saved: the session user's download
 * directory, as the XDG user directories name it.
 */
#ifndef SWL_DOWNLOADS_H
#define SWL_DOWNLOADS_H

/*
 * The download directory for this environment: XDG_DOWNLOAD_DIR from
 * $XDG_CONFIG_HOME/user-dirs.dirs (else ~/.config/user-dirs.dirs), else
 * ~/Downloads. NULL when HOME is unset or relative. Newly allocated.
 */
char *swl_downloads_dir(void);

#endif
