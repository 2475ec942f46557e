// SPDX-License-Identifier: MIT
/*
 * state_dir/secret.key: the 32-byte AES-256-GCM key that encrypts the
 * secrets the store must read back (TOTP seeds; everything it only has to
 * compare is hashed instead).  Kept apart from state.db so that a copy of
 * the database alone (a backup, a leaked file) reveals no seed.
 *
 * Made on first use.  Two processes may race to make it: each writes a
 * private temporary file and link()s it into place, and the loser reads
 * the winner's key, so both end up with the same one.
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

static int read_key(struct store *s, const char *path)
{
	struct stat st;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return -errno;
	if (fstat(fd, &st) == -1) {
		ret = -errno;
	} else if (st.st_mode & 077) {
		ret = store_err(s, -EPERM, "%s: key readable by others (mode "
				"%04o); run: chmod 600 %s", path,
				(unsigned)(st.st_mode & 07777), path);
	} else if (st.st_size != sizeof(s->key)) {
		ret = store_err(s, -EINVAL, "%s: %lld bytes, expected %zu",
				path, (long long)st.st_size, sizeof(s->key));
	} else {
		n = read(fd, s->key, sizeof(s->key));
		if (n != (ssize_t)sizeof(s->key))
			ret = store_err(s, -EIO, "%s: short read", path);
	}
	close(fd);
	return ret;
}

static int make_key(struct store *s, const char *path)
{
	unsigned char key[32];
	char tmp[1100];
	int fd, ret = 0;

	snprintf(tmp, sizeof(tmp), "%s/.secret.key.XXXXXX", s->dir);
	fd = mkstemp(tmp);	/* mode 0600 */
	if (fd == -1)
		return store_err(s, -errno, "cannot create %s: %s", tmp,
				 strerror(errno));
	if (RAND_bytes(key, sizeof(key)) != 1) {
		ret = store_err(s, -EIO, "no random bytes for %s", path);
		goto out;
	}
	if (write(fd, key, sizeof(key)) != (ssize_t)sizeof(key) || fsync(fd)) {
		ret = store_err(s, -EIO, "cannot write %s", tmp);
		goto out;
	}
	if (link(tmp, path) == -1 && errno != EEXIST)
		ret = store_err(s, -errno, "cannot create %s: %s", path,
				strerror(errno));
out:
	OPENSSL_cleanse(key, sizeof(key));
	close(fd);
	unlink(tmp);
	return ret;
}

int store_secret_key(struct store *s)
{
	char path[1100];
	int ret;

	if (s->key_loaded)
		return 0;
	snprintf(path, sizeof(path), "%s/" STORE_KEY_FILE, s->dir);
	ret = read_key(s, path);
	if (ret == -ENOENT) {
		ret = make_key(s, path);
		if (!ret)
			ret = read_key(s, path);
	}
	if (ret) {
		if (ret != -EPERM && ret != -EINVAL && ret != -EIO)
			store_err(s, ret, "%s: %s", path, strerror(-ret));
		return ret;
	}
	s->key_loaded = true;
	return 0;
}
