/*
 * C shim over the DPDK 22.11 functions that are `static inline` in the
 * headers (so bindgen cannot link them). Every function here is called per
 * burst or at setup, never per packet: per-packet mbuf field access is done
 * in Rust on the bindgen layout of `struct rte_mbuf`.
 */
#ifndef JG_SHIM_H
#define JG_SHIM_H

#include <stdint.h>

#include <rte_config.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_cycles.h>
#include <rte_version.h>
#include <rte_pdump.h>
#include <rte_telemetry.h>

uint16_t jg_eth_rx_burst(uint16_t port_id, uint16_t queue_id,
                         struct rte_mbuf **rx_pkts, uint16_t nb_pkts);
uint16_t jg_eth_tx_burst(uint16_t port_id, uint16_t queue_id,
                         struct rte_mbuf **tx_pkts, uint16_t nb_pkts);
int jg_pktmbuf_alloc_bulk(struct rte_mempool *pool, struct rte_mbuf **mbufs,
                          unsigned int count);
struct rte_mbuf *jg_pktmbuf_alloc(struct rte_mempool *pool);
void jg_pktmbuf_free(struct rte_mbuf *m);
/* Adds `delta` to the reference count of a direct, single-segment mbuf. */
void jg_mbuf_refcnt_update(struct rte_mbuf *m, int16_t delta);
unsigned int jg_ring_enqueue_burst(struct rte_ring *r, void *const *objs,
                                   unsigned int n);
unsigned int jg_ring_dequeue_burst(struct rte_ring *r, void **objs,
                                   unsigned int n);
unsigned int jg_ring_count(const struct rte_ring *r);
uint64_t jg_rdtsc(void);
uint64_t jg_tsc_hz(void);
unsigned int jg_lcore_id(void);
int jg_errno(void);
const char *jg_version(void);

#endif
