/*
 * Unit tests for compositor/placement.c: windows too big for the screen
 * shrink and keep their top-left (title bar) on it, dialogs centre on their
 * parent, drags keep the title bar reachable, resizes keep the far edges.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "placement.h"

static const struct swl_rect screen = { 0, 0, 1024, 768 };

static void test_fit_size(void **state) {
	int w = 2000, h = 900;
	swl_place_fit_size(&screen, 0, &w, &h);
	assert_int_equal(w, 1024);
	assert_int_equal(h, 768);
	w = 300;
	h = 768;
	swl_place_fit_size(&screen, 24, &w, &h);
	assert_int_equal(w, 300);
	assert_int_equal(h, 744);
}

static void test_clamp_fits_inside(void **state) {
	struct swl_rect win = { 900, 700, 300, 200 };
	swl_place_clamp(&screen, 0, &win);
	assert_int_equal(win.x, 724);
	assert_int_equal(win.y, 568);
	win = (struct swl_rect){ -50, -10, 300, 200 };
	swl_place_clamp(&screen, 24, &win);
	assert_int_equal(win.x, 0);
	assert_int_equal(win.y, 24);
}

static void test_clamp_too_big_keeps_top_left(void **state) {
	struct swl_rect win = { -300, -400, 1500, 1000 };
	swl_place_clamp(&screen, 24, &win);
	assert_int_equal(win.x, 0);
	assert_int_equal(win.y, 24);
	const struct swl_rect offset = { 1024, 100, 800, 600 };
	win = (struct swl_rect){ 0, 0, 900, 700 };
	swl_place_clamp(&offset, 0, &win);
	assert_int_equal(win.x, 1024);
	assert_int_equal(win.y, 100);
}

static void test_centre_on_parent(void **state) {
	struct swl_rect parent = { 100, 100, 600, 400 };
	struct swl_rect win = { 0, 0, 200, 100 };
	swl_place_centre(&screen, 0, &parent, &win);
	assert_int_equal(win.x, 300);
	assert_int_equal(win.y, 250);
	// A parent near the edge: the dialog stays on the screen.
	parent = (struct swl_rect){ 800, 600, 600, 400 };
	win = (struct swl_rect){ 0, 0, 400, 300 };
	swl_place_centre(&screen, 0, &parent, &win);
	assert_int_equal(win.x, 624);
	assert_int_equal(win.y, 468);
}

static void test_drag_keeps_title_bar(void **state) {
	struct swl_rect win = { 5000, -300, 300, 200 };
	swl_place_drag(&screen, 24, &win);
	assert_int_equal(win.x, 1024 - SWL_PLACE_VISIBLE);
	assert_int_equal(win.y, 24);
	win = (struct swl_rect){ -1000, 2000, 300, 200 };
	swl_place_drag(&screen, 24, &win);
	assert_int_equal(win.x, SWL_PLACE_VISIBLE - 300);
	assert_int_equal(win.y, 768);
	win = (struct swl_rect){ 10, 2000, 300, 200 };
	swl_place_drag(&screen, 0, &win);
	assert_int_equal(win.y, 768 - SWL_PLACE_VISIBLE);
}

static void test_resize_edges(void **state) {
	const struct swl_rect start = { 100, 100, 400, 300 };
	struct swl_rect out;
	swl_place_resize(&start, SWL_EDGE_RIGHT | SWL_EDGE_BOTTOM, 50, 20, 1, 1, &out);
	assert_int_equal(out.x, 100);
	assert_int_equal(out.y, 100);
	assert_int_equal(out.width, 450);
	assert_int_equal(out.height, 320);
	swl_place_resize(&start, SWL_EDGE_LEFT | SWL_EDGE_TOP, 50, 20, 1, 1, &out);
	assert_int_equal(out.x, 150);
	assert_int_equal(out.y, 120);
	assert_int_equal(out.width, 350);
	assert_int_equal(out.height, 280);
	// Never below the minimum; the right edge stays put.
	swl_place_resize(&start, SWL_EDGE_LEFT, 1000, 0, 32, 32, &out);
	assert_int_equal(out.width, 32);
	assert_int_equal(out.x, 468);
	assert_int_equal(out.height, 300);
}

static void test_frame_hit(void **state) {
	const int t = 20, b = 4;
	uint32_t edges;
	// A 300x200 window: title bar y in [-20, 0), x in [-4, 304).
	assert_int_equal(swl_frame_hit(300, 200, t, b, 10, -10, &edges), SWL_FRAME_TITLE);
	assert_int_equal(swl_frame_hit(300, 200, t, b, 10, -16, &edges), SWL_FRAME_TITLE);
	assert_int_equal(swl_frame_hit(300, 200, t, b, 299, -1, &edges), SWL_FRAME_CLOSE);
	assert_int_equal(swl_frame_hit(300, 200, t, b, 284, -10, &edges), SWL_FRAME_CLOSE);
	assert_int_equal(swl_frame_hit(300, 200, t, b, 283, -10, &edges), SWL_FRAME_MAXIMIZE);
	assert_int_equal(swl_frame_hit(300, 200, t, b, 250, -10, &edges), SWL_FRAME_MINIMIZE);
	assert_int_equal(swl_frame_hit(300, 200, t, b, 243, -10, &edges), SWL_FRAME_TITLE);
	assert_int_equal(swl_frame_button_x(300, t, b, SWL_FRAME_CLOSE), 288);
	// The window itself and outside are not the frame's.
	assert_int_equal(swl_frame_hit(300, 200, t, b, 0, 0, &edges), SWL_FRAME_NONE);
	assert_int_equal(swl_frame_hit(300, 200, t, b, 299, 199, &edges), SWL_FRAME_NONE);
	assert_int_equal(swl_frame_hit(300, 200, t, b, -5, 10, &edges), SWL_FRAME_NONE);
	assert_int_equal(swl_frame_hit(300, 200, t, b, 10, -21, &edges), SWL_FRAME_NONE);
	assert_int_equal(swl_frame_hit(300, 200, t, b, 10, 204, &edges), SWL_FRAME_NONE);
	// Borders resize; near a bottom corner both edges.
	assert_int_equal(swl_frame_hit(300, 200, t, b, -1, 50, &edges), SWL_FRAME_EDGE);
	assert_int_equal(edges, SWL_EDGE_LEFT);
	assert_int_equal(swl_frame_hit(300, 200, t, b, 302, 50, &edges), SWL_FRAME_EDGE);
	assert_int_equal(edges, SWL_EDGE_RIGHT);
	assert_int_equal(swl_frame_hit(300, 200, t, b, 150, 201, &edges), SWL_FRAME_EDGE);
	assert_int_equal(edges, SWL_EDGE_BOTTOM);
	assert_int_equal(swl_frame_hit(300, 200, t, b, 295, 203, &edges), SWL_FRAME_EDGE);
	assert_int_equal(edges, SWL_EDGE_BOTTOM | SWL_EDGE_RIGHT);
	assert_int_equal(swl_frame_hit(300, 200, t, b, -2, 190, &edges), SWL_FRAME_EDGE);
	assert_int_equal(edges, SWL_EDGE_BOTTOM | SWL_EDGE_LEFT);
	// The title bar's top rows are the top edge, its sides the side edges,
	// above the buttons too; near a top corner both edges.
	assert_int_equal(swl_frame_hit(300, 200, t, b, 150, -20, &edges), SWL_FRAME_EDGE);
	assert_int_equal(edges, SWL_EDGE_TOP);
	assert_int_equal(swl_frame_hit(300, 200, t, b, 150, -17, &edges), SWL_FRAME_EDGE);
	assert_int_equal(edges, SWL_EDGE_TOP);
	assert_int_equal(swl_frame_hit(300, 200, t, b, 295, -18, &edges), SWL_FRAME_EDGE);
	assert_int_equal(edges, SWL_EDGE_TOP | SWL_EDGE_RIGHT);
	assert_int_equal(swl_frame_hit(300, 200, t, b, 10, -19, &edges), SWL_FRAME_EDGE);
	assert_int_equal(edges, SWL_EDGE_TOP | SWL_EDGE_LEFT);
	assert_int_equal(swl_frame_hit(300, 200, t, b, -4, -10, &edges), SWL_FRAME_EDGE);
	assert_int_equal(edges, SWL_EDGE_TOP | SWL_EDGE_LEFT);
	assert_int_equal(swl_frame_hit(300, 200, t, b, 303, -1, &edges), SWL_FRAME_EDGE);
	assert_int_equal(edges, SWL_EDGE_TOP | SWL_EDGE_RIGHT);
	assert_int_equal(swl_frame_hit(300, 200, t, b, 303, 0, &edges), SWL_FRAME_EDGE);
	assert_int_equal(edges, SWL_EDGE_RIGHT);
	assert_int_equal(swl_frame_hit(300, 200, t, b, -1, 10, &edges), SWL_FRAME_EDGE);
	assert_int_equal(edges, SWL_EDGE_LEFT);
	// Maximized: no borders.
	assert_int_equal(swl_frame_hit(300, 200, t, 0, -1, 50, &edges), SWL_FRAME_NONE);
	assert_int_equal(swl_frame_hit(300, 200, t, 0, 299, -1, &edges), SWL_FRAME_CLOSE);
	assert_int_equal(swl_frame_hit(300, 200, t, 0, 150, -20, &edges), SWL_FRAME_TITLE);
	assert_int_equal(swl_frame_hit(300, 200, t, 0, 299, -20, &edges), SWL_FRAME_CLOSE);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fit_size),
		cmocka_unit_test(test_clamp_fits_inside),
		cmocka_unit_test(test_clamp_too_big_keeps_top_left),
		cmocka_unit_test(test_centre_on_parent),
		cmocka_unit_test(test_drag_keeps_title_bar),
		cmocka_unit_test(test_resize_edges),
		cmocka_unit_test(test_frame_hit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
