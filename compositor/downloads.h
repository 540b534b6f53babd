/*
 * Where files a SPICE client sends are saved: the session user's download
 * directory, as the XDG user directories name it.
 */
#ifndef SWL_DOWNLOADS_H
#define SWL_DOWNLOADS_H

/*
 * XDG_DOWNLOAD_DIR from user-dirs.dirs contents (lines such as
 * XDG_DOWNLOAD_DIR="$HOME/Downloads"; the value is "$HOME/..." or an absolute
 * path, with \" \\ \$ escapes, as xdg-user-dirs writes it). A newly allocated
 * absolute path, or NULL when the file does not set it usably (then
 * ~/Downloads is the default). A value of "$HOME/" or "$HOME" alone means the
 * user turned the directory off: xdg-user-dirs then uses HOME itself, and so
 * does this.
 */
char *swl_downloads_parse_user_dirs(const char *contents, const char *home);
/*
 * The download directory for this environment: XDG_DOWNLOAD_DIR from
 * $XDG_CONFIG_HOME/user-dirs.dirs (else ~/.config/user-dirs.dirs), else
 * ~/Downloads. NULL when HOME is unset or relative. Newly allocated.
 */
char *swl_downloads_dir(void);

#endif
