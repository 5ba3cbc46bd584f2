#include "shim.h"

uint16_t jg_eth_rx_burst(uint16_t port_id, uint16_t queue_id,
                         struct rte_mbuf **rx_pkts, uint16_t nb_pkts)
{
	return rte_eth_rx_burst(port_id, queue_id, rx_pkts, nb_pkts);
}

uint16_t jg_eth_tx_burst(uint16_t port_id, uint16_t queue_id,
                         struct rte_mbuf **tx_pkts, uint16_t nb_pkts)
{
	return rte_eth_tx_burst(port_id, queue_id, tx_pkts, nb_pkts);
}

int jg_pktmbuf_alloc_bulk(struct rte_mempool *pool, struct rte_mbuf **mbufs,
                          unsigned int count)
{
	return rte_pktmbuf_alloc_bulk(pool, mbufs, count);
}

struct rte_mbuf *jg_pktmbuf_alloc(struct rte_mempool *pool)
{
	return rte_pktmbuf_alloc(pool);
}

void jg_pktmbuf_free(struct rte_mbuf *m)
{
	rte_pktmbuf_free(m);
}

void jg_mbuf_refcnt_update(struct rte_mbuf *m, int16_t delta)
{
	rte_mbuf_refcnt_update(m, delta);
}

unsigned int jg_ring_enqueue_burst(struct rte_ring *r, void *const *objs,
                                   unsigned int n)
{
	return rte_ring_enqueue_burst(r, objs, n, NULL);
}

unsigned int jg_ring_dequeue_burst(struct rte_ring *r, void **objs,
                                   unsigned int n)
{
	return rte_ring_dequeue_burst(r, objs, n, NULL);
}

unsigned int jg_ring_count(const struct rte_ring *r)
{
	return rte_ring_count(r);
}

uint64_t jg_rdtsc(void)
{
	return rte_rdtsc();
}

uint64_t jg_tsc_hz(void)
{
	return rte_get_tsc_hz();
}

unsigned int jg_lcore_id(void)
{
	return rte_lcore_id();
}

int jg_errno(void)
{
	return rte_errno;
}

const char *jg_version(void)
{
	return rte_version();
}
