/*
 * Unit tests for layer-shell placement: anchors, margins, centring,
 * stretching, exclusive zones and what they leave to windows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "layer_arrange.h"

enum {
	TOP = SWL_LAYER_ANCHOR_TOP,
	BOTTOM = SWL_LAYER_ANCHOR_BOTTOM,
	LEFT = SWL_LAYER_ANCHOR_LEFT,
	RIGHT = SWL_LAYER_ANCHOR_RIGHT,
};

static const struct swl_layer_rect output = { 100, 0, 1280, 800 };

static void assert_rect(const struct swl_layer_rect *r, int x, int y, int w, int h) {
	assert_int_equal(r->x, x);
	assert_int_equal(r->y, y);
	assert_int_equal(r->width, w);
	assert_int_equal(r->height, h);
}

/* A panel across the top reserves its height; windows get the rest. */
static void test_top_panel(void **state) {
	struct swl_layer_request panel = {
		.anchor = TOP | LEFT | RIGHT, .exclusive_zone = 30, .height = 30,
	};
	struct swl_layer_rect usable = output, box;
	assert_true(swl_layer_arrange(&panel, &output, &usable, &box));
	assert_rect(&box, 100, 0, 1280, 30);
	assert_rect(&usable, 100, 30, 1280, 770);

	// A second panel at the bottom with a margin; the zone counts the margin.
	struct swl_layer_request dock = {
		.anchor = BOTTOM | LEFT | RIGHT, .exclusive_zone = 40, .height = 40,
		.margin_bottom = 5, .margin_left = 10, .margin_right = 10,
	};
	assert_true(swl_layer_arrange(&dock, &output, &usable, &box));
	assert_rect(&box, 110, 30 + 770 - 40 - 5, 1260, 40);
	assert_rect(&usable, 100, 30, 1280, 770 - 45);
}

/* Side panels take width; a surface on no edge reserves nothing. */
static void test_sides_and_centre(void **state) {
	struct swl_layer_request left = {
		.anchor = LEFT | TOP | BOTTOM, .exclusive_zone = 48, .width = 48,
	};
	struct swl_layer_rect usable = output, box;
	assert_true(swl_layer_arrange(&left, &output, &usable, &box));
	assert_rect(&box, 100, 0, 48, 800);
	assert_rect(&usable, 148, 0, 1232, 800);

	struct swl_layer_request right = { .anchor = RIGHT, .exclusive_zone = 20, .width = 20,
		.height = 100, .margin_right = 4 };
	assert_true(swl_layer_arrange(&right, &output, &usable, &box));
	assert_rect(&box, 148 + 1232 - 20 - 4, 350, 20, 100);
	assert_rect(&usable, 148, 0, 1232 - 24, 800);

	// A launcher in the middle: centred in the usable area, no zone taken.
	struct swl_layer_request launcher = { .width = 400, .height = 300, .exclusive_zone = 10 };
	struct swl_layer_rect before = usable;
	assert_true(swl_layer_arrange(&launcher, &output, &usable, &box));
	assert_rect(&box, 148 + (1232 - 24) / 2 - 200, 250, 400, 300);
	assert_rect(&usable, before.x, before.y, before.width, before.height);
}

/* Exclusive zone -1 ignores the others' zones; 0 keeps out of them. */
static void test_zone_minus_one(void **state) {
	struct swl_layer_rect usable = { 100, 30, 1280, 770 }, box;
	struct swl_layer_request wallpaper = {
		.anchor = TOP | BOTTOM | LEFT | RIGHT, .exclusive_zone = -1,
	};
	assert_true(swl_layer_arrange(&wallpaper, &output, &usable, &box));
	assert_rect(&box, 100, 0, 1280, 800);
	struct swl_layer_request notification = { .anchor = TOP | RIGHT, .width = 300,
		.height = 80, .margin_top = 10, .margin_right = 10 };
	assert_true(swl_layer_arrange(&notification, &output, &usable, &box));
	assert_rect(&box, 100 + 1280 - 310, 40, 300, 80);
	assert_rect(&usable, 100, 30, 1280, 770);
}

/* Margins larger than the output leave no room: the surface is closed. */
static void test_no_room(void **state) {
	struct swl_layer_rect usable = output, box;
	struct swl_layer_request bad = {
		.anchor = TOP | LEFT | RIGHT, .height = 30, .margin_left = 700, .margin_right = 700,
		.exclusive_zone = 30,
	};
	assert_false(swl_layer_arrange(&bad, &output, &usable, &box));
	assert_rect(&usable, 100, 0, 1280, 800);
}

/*
 * Two heads side by side: a top panel on the left one and a bottom one on
 * the right one trim the whole layout; a side panel counts only on the
 * layout's own edge.
 */
static void test_zones_of_heads(void **state) {
	const struct swl_layer_rect layout = { 0, 0, 2000, 800 };
	const struct swl_layer_rect left = { 0, 0, 1000, 800 }, right = { 1000, 0, 1000, 800 };
	struct swl_layer_zones zones = { 0 };
	swl_layer_zones_add(&zones, &layout, &left, &(struct swl_layer_rect){ 0, 30, 1000, 770 });
	swl_layer_zones_add(&zones, &layout, &right, &(struct swl_layer_rect){ 1000, 0, 950, 760 });
	struct swl_layer_rect box = layout;
	swl_layer_zones_trim(&zones, &box);
	assert_rect(&box, 0, 30, 1950, 730);
	// An inner edge (the left head's right side) reserves nothing.
	zones = (struct swl_layer_zones){ 0 };
	swl_layer_zones_add(&zones, &layout, &left, &(struct swl_layer_rect){ 0, 0, 900, 800 });
	box = layout;
	swl_layer_zones_trim(&zones, &box);
	assert_rect(&box, 0, 0, 2000, 800);
}

/* Zones that would leave nothing, and an output not arranged yet, are ignored. */
static void test_zones_leave_room(void **state) {
	const struct swl_layer_rect layout = { 0, 0, 800, 600 };
	struct swl_layer_zones zones = { 0 };
	swl_layer_zones_add(&zones, &layout, &layout, &(struct swl_layer_rect){ 0, 0, 0, 0 });
	struct swl_layer_rect box = layout;
	swl_layer_zones_trim(&zones, &box);
	assert_rect(&box, 0, 0, 800, 600);
	zones = (struct swl_layer_zones){ .top = 300, .bottom = 300 };
	swl_layer_zones_trim(&zones, &box);
	assert_rect(&box, 0, 0, 800, 600);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top_panel),
		cmocka_unit_test(test_sides_and_centre),
		cmocka_unit_test(test_zone_minus_one),
		cmocka_unit_test(test_no_room),
		cmocka_unit_test(test_zones_of_heads),
		cmocka_unit_test(test_zones_leave_room),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
