/* SPDX-License-Identifier: MIT */
#ifndef SL_BPF_LOG_H
#define SL_BPF_LOG_H

/*
 * Routes libbpf's messages into sl_log: kept to -d (debug) runs, where
 * they explain a load failure; otherwise the caller reports the error.
 */
void sl_bpf_log_init(void);

#endif
